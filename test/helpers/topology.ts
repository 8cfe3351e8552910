// Builds a real topology for an integration test and tears it down when the test ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { buildTopology } from '../../lab/topology/build.ts';
import type { Scenario } from '../../lab/scenario/schema.ts';
import type { Topology } from '../../lab/topology/types.ts';
import { testScenario } from './scenarios.ts';

export { testScenario };

/** A topology for this test; destroyed in the test's teardown whatever happens. */
export async function useTopology(t: ExecutionContext, scenario?: Scenario): Promise<Topology> {
  const runDir = await mkdtemp(path.join(tmpdir(), 'mplab-test-'));
  const topology = await buildTopology(scenario ?? (await testScenario()), { runDir });
  t.teardown(async () => {
    await topology.destroy();
    await rm(runDir, { recursive: true, force: true });
  });
  return topology;
}
