// The order of a run: a warm-up round through every system, then each repetition runs
// every system in turn (A B C, A B C), so machine drift hits all systems alike.
import type { Scenario, SystemNameInScenario, WorkloadName } from '../scenario/schema.ts';
import { WORKLOADS } from '../workloads/index.ts';

/** One system started fresh, its workloads run, then stopped. */
export interface Block {
  phase: 'warmup' | 'measure';
  system: SystemNameInScenario;
  repetition: number;
  workloads: WorkloadName[];
  scenario: Scenario;
}

/** The warm-up opens a few connections through each system and keeps nothing. */
const WARMUP_CONNECTIONS = 3;
const WARMUP_TIMEOUT_MS = 10_000;
/** Rough time to start and stop a system, for the estimate. */
const BLOCK_START_MS = 1500;

export function planBlocks(scenario: Scenario, systems: readonly SystemNameInScenario[], workloads: WorkloadName[]): Block[] {
  const warmScenario: Scenario = { ...scenario, workloads: { ...scenario.workloads, connect: { connections: WARMUP_CONNECTIONS, timeout: WARMUP_TIMEOUT_MS } } };
  const blocks: Block[] = [];
  for (let round = 1; round <= scenario.warmup; round++) {
    for (const system of systems) blocks.push({ phase: 'warmup', system, repetition: round, workloads: ['connect'], scenario: warmScenario });
  }
  for (let repetition = 1; repetition <= scenario.repeat; repetition++) {
    for (const system of systems) blocks.push({ phase: 'measure', system, repetition, workloads, scenario });
  }
  return blocks;
}

/** Expected time of one step (a workload of a block; the first one also starts the system). */
export function plannedStepMs(block: Block, workload: WorkloadName): number {
  return WORKLOADS[workload].plannedMs(block.scenario) + (block.workloads[0] === workload ? BLOCK_START_MS : 0);
}

export function plannedTotalMs(blocks: readonly Block[]): number {
  return blocks.reduce((ms, block) => ms + block.workloads.reduce((sum, w) => sum + plannedStepMs(block, w), 0), 0);
}
