import test from 'ava';
import { plannedBlockMs, plannedStepMs, repetitionBlocks, systemOrder, warmupBlocks } from '../../lab/run/plan.ts';
import { testScenario } from '../helpers/scenarios.ts';

test('each repetition rotates the system order by one: A B C, B C A, C A B, A B C', (t) => {
  const systems = ['direct-tcp', 'redsocks-dante', 'mprelay'] as const;
  t.deepEqual(
    [1, 2, 3, 4].map((r) => systemOrder(systems, r)),
    [
      ['direct-tcp', 'redsocks-dante', 'mprelay'],
      ['redsocks-dante', 'mprelay', 'direct-tcp'],
      ['mprelay', 'direct-tcp', 'redsocks-dante'],
      ['direct-tcp', 'redsocks-dante', 'mprelay'],
    ],
  );
  t.deepEqual(systemOrder(['mprelay'], 5), ['mprelay']);
});

test('blocks carry their repetition and place in the order; the warm-up only connects', async (t) => {
  const scenario = await testScenario('ci-smoke');
  const blocks = repetitionBlocks(scenario, scenario.systems, ['connect', 'hol'], 2);
  t.deepEqual(
    blocks.map((b) => [b.system, b.repetition, b.position, b.phase]),
    [
      ['redsocks-dante', 2, 0, 'measure'],
      ['mprelay', 2, 1, 'measure'],
      ['direct-tcp', 2, 2, 'measure'],
    ],
  );
  const warm = warmupBlocks({ ...scenario, warmup: 1 }, scenario.systems);
  t.deepEqual(warm.map((b) => [b.phase, b.workloads, b.scenario.workloads.connect?.connections]), scenario.systems.map(() => ['warmup', ['connect'], 3]));
  // The first step of a block also pays for building its topology and starting the system.
  const block = blocks[0]!;
  t.true(plannedStepMs(block, 'connect') > plannedStepMs({ ...block, workloads: ['hol', 'connect'] }, 'connect'));
  t.is(plannedBlockMs(block), plannedStepMs(block, 'connect') + plannedStepMs(block, 'hol'));
});
