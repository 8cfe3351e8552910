// A workload run the way the runner runs it, but from a test: a real topology, a real
// system, the probes, and the runner's own collector, so that a test can change the
// conditions between repetitions (an nftables rule, another system) and still get a
// results.json-shaped record to summarise and gate.
import type { ExecutionContext } from 'ava';
import type { Results } from '../../lab/report/results.ts';
import { Collector } from '../../lab/run/collect.ts';
import { captureEnvironment } from '../../lab/run/environment.ts';
import type { Scenario, SystemNameInScenario } from '../../lab/scenario/schema.ts';
import type { SystemAdapter } from '../../lab/systems/system.ts';
import type { Topology } from '../../lab/topology/types.ts';
import { runWithEvidence } from '../../lab/workloads/evidence.ts';
import { ProbePool } from '../../lab/workloads/probes.ts';
import type { Workload, WorkloadContext } from '../../lab/workloads/workload.ts';
import { startSystem } from '../systems/harness.ts';
import { runInfo } from '../helpers/run-info.ts';

export interface Bench {
  context: WorkloadContext;
  /** Runs `workload` once per repetition (on `scenario`'s workload settings, default the bench's) and returns what the runner would have written. */
  measure(workload: Workload, repetitions: number, scenario?: Scenario): Promise<Results>;
}

/** Starts `adapter` in `topology` with its probes; everything stops in the test's teardown. */
export async function workloadBench(t: ExecutionContext, topology: Topology, scenario: Scenario, adapter: SystemAdapter): Promise<Bench> {
  const system = await startSystem(t, adapter, topology);
  const pool = new ProbePool(topology, topology.runDir);
  t.teardown(() => pool.stop());
  const probes = await pool.for(system);
  const context: WorkloadContext = { scenario, topology, system, serverProbe: probes.server, clientProbe: probes.client };
  const name = adapter.name as SystemNameInScenario;
  return {
    context,
    async measure(workload, repetitions, settings = scenario) {
      const collector = new Collector();
      const startedAt = new Date();
      for (let repetition = 1; repetition <= repetitions; repetition++) {
        collector.ok({ system: name, workload: workload.name, repetition }, new Date(), await runWithEvidence(workload, { ...context, scenario: settings }));
      }
      const run = runInfo({ id: topology.runId, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), repeat: repetitions, systems: [name], workloads: [workload.name] });
      return collector.results(settings, run, await captureEnvironment(topology, [adapter]), {});
    },
  };
}
