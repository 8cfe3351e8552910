import test from 'ava';
import { quickScenario } from '../../lab/run/quick.ts';
import { WORKLOADS } from '../../lab/workloads/index.ts';
import { testScenario } from '../helpers/scenarios.ts';

test('--quick keeps every workload of lossy-wisp and fast-slow runnable, once, shorter', async (t) => {
  const full = await testScenario('lossy-wisp');
  const quick = quickScenario(full);
  t.is(quick.repeat, 1);
  t.is(quick.warmup, 0);
  // One short repetition even where the scenario asks for adaptive repetitions.
  t.is(quickScenario({ ...full, repeat: 'auto' }).repeat, 1);
  for (const name of ['lossy-wisp', 'fast-slow']) {
    const scenario = await testScenario(name);
    const short = quickScenario(scenario);
    const present = Object.values(WORKLOADS).filter((workload) => scenario.workloads[workload.name] !== undefined);
    t.deepEqual(Object.keys(short.workloads).sort(), Object.keys(scenario.workloads).sort(), `${name}: the same workloads`);
    for (const workload of present) {
      t.notThrows(() => workload.validate(short), `${name} ${workload.name}`);
      t.true(workload.plannedMs(short) <= workload.plannedMs(scenario), `${name} ${workload.name}`);
    }
  }
  // Goodput windows that start before 3 s read above capacity (BBR's start-up): lab errors.
  t.deepEqual([quick.workloads.throughput?.omit, quick.workloads.throughput?.duration], [3000, 5000]);
  t.deepEqual(full.links.a.schedule, (await testScenario('lossy-wisp')).links.a.schedule, 'the original is untouched');
});
