import path from 'node:path';
import { loadScenario } from '../../lab/scenario/load.ts';
import type { Scenario } from '../../lab/scenario/schema.ts';

export const SCENARIOS_DIR = path.resolve(import.meta.dirname, '../../scenarios');

export async function testScenario(name = 'test-clean'): Promise<Scenario> {
  return loadScenario(path.join(SCENARIOS_DIR, `${name}.yaml`));
}
