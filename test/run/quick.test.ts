import test from 'ava';
import { QUICK_WORKLOADS, quickScenario, quickWorkloads } from '../../lab/run/quick.ts';
import type { WorkloadName } from '../../lab/scenario/schema.ts';
import { WORKLOADS } from '../../lab/workloads/index.ts';
import { testScenario } from '../helpers/scenarios.ts';

test('--quick runs connect, hol and failover once, shorter; the rest of the scenario is left out', async (t) => {
  const full = await testScenario('lossy-wisp');
  const quick = quickScenario(full);
  t.is(quick.repeat, 1);
  t.is(quick.warmup, 0);
  // One short repetition even where the scenario asks for adaptive repetitions.
  t.is(quickScenario({ ...full, repeat: 'auto' }).repeat, 1);
  t.deepEqual(Object.keys(quick.workloads).sort(), [...QUICK_WORKLOADS].sort());
  t.deepEqual(quick.workloads.failover, { links: ['a'], before: 2000, outage: 1500, after: 5000 });
  t.deepEqual(full.links.a.schedule, (await testScenario('lossy-wisp')).links.a.schedule, 'the original is untouched');
  // A scenario with none of them keeps what it has.
  const onlyTransfer = { ...(await testScenario('fast-slow')), workloads: { transfer: (await testScenario('fast-slow')).workloads.transfer } };
  t.deepEqual(quickWorkloads(onlyTransfer), ['transfer']);
});

test('--quick with --workloads keeps every workload named, runnable, once, shorter, for lossy-wisp and fast-slow', async (t) => {
  for (const name of ['lossy-wisp', 'fast-slow']) {
    const scenario = await testScenario(name);
    const all = (Object.keys(scenario.workloads) as WorkloadName[]).filter((w) => scenario.workloads[w] !== undefined);
    const short = quickScenario(scenario, all);
    t.deepEqual(Object.keys(short.workloads).sort(), [...all].sort(), `${name}: the same workloads`);
    for (const workload of Object.values(WORKLOADS).filter((w) => all.includes(w.name))) {
      t.notThrows(() => workload.validate(short), `${name} ${workload.name}`);
      t.true(workload.plannedMs(short) <= workload.plannedMs(scenario), `${name} ${workload.name}`);
    }
    t.deepEqual(Object.keys(quickScenario(scenario, ['throughput']).workloads), ['throughput'], `${name}: only what was named`);
  }
  // Goodput windows that start before 3 s read above capacity (BBR's start-up): lab errors.
  const throughput = quickScenario(await testScenario('lossy-wisp'), ['throughput']).workloads.throughput;
  t.deepEqual([throughput?.omit, throughput?.duration], [3000, 5000]);
});
