// Builds a real topology for an integration test and tears it down when the test ends.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { buildTopology } from '../../lab/topology/build.ts';
import { loadScenario } from '../../lab/scenario/load.ts';
import type { Scenario } from '../../lab/scenario/schema.ts';
import type { Topology } from '../../lab/topology/types.ts';

export const SCENARIOS_DIR = path.resolve(import.meta.dirname, '../../scenarios');

export async function testScenario(name = 'test-clean'): Promise<Scenario> {
  return loadScenario(path.join(SCENARIOS_DIR, `${name}.yaml`));
}

/** A topology for this test; destroyed in the test's teardown whatever happens. */
export async function useTopology(t: ExecutionContext, scenario?: Scenario): Promise<Topology> {
  const runDir = await mkdtemp(path.join(tmpdir(), 'mplab-test-'));
  const topology = await buildTopology(scenario ?? (await testScenario()), { runDir });
  t.teardown(() => topology.destroy());
  return topology;
}
