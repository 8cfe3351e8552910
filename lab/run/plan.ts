// The order of a run: a warm-up round through every system, then repetitions, each
// running every system once in a rotated order (A B C, B C A, C A B ...), so that
// machine drift and whatever a system leaves behind land on every system alike. Each
// block (one system, one repetition) runs in namespaces built for it alone.
import type { Scenario, SystemNameInScenario, WorkloadName } from '../scenario/schema.ts';
import { WORKLOADS } from '../workloads/index.ts';

/** One system started fresh in a fresh topology, its workloads run, then all torn down. */
export interface Block {
  phase: 'warmup' | 'measure';
  system: SystemNameInScenario;
  repetition: number;
  /** 0-based place in its repetition's order. */
  position: number;
  workloads: WorkloadName[];
  scenario: Scenario;
}

/** The warm-up opens a few connections through each system and keeps nothing. */
const WARMUP_CONNECTIONS = 3;
/** Rough time to build a topology, start a system and its probes, and tear it all down, for the estimate. */
const BLOCK_OVERHEAD_MS = 2500;
const WARMUP_TIMEOUT_MS = 10_000;

/** The systems in the order repetition `repetition` (1-based) runs them: rotated by one each time. */
export function systemOrder(systems: readonly SystemNameInScenario[], repetition: number): SystemNameInScenario[] {
  const shift = (repetition - 1) % Math.max(1, systems.length);
  return [...systems.slice(shift), ...systems.slice(0, shift)];
}

export function warmupBlocks(scenario: Scenario, systems: readonly SystemNameInScenario[]): Block[] {
  const warmScenario: Scenario = { ...scenario, workloads: { ...scenario.workloads, connect: { connections: WARMUP_CONNECTIONS, timeout: WARMUP_TIMEOUT_MS } } };
  const blocks: Block[] = [];
  for (let round = 1; round <= scenario.warmup; round++) {
    systems.forEach((system, position) => blocks.push({ phase: 'warmup', system, repetition: round, position, workloads: ['connect'], scenario: warmScenario }));
  }
  return blocks;
}

export function repetitionBlocks(scenario: Scenario, systems: readonly SystemNameInScenario[], workloads: WorkloadName[], repetition: number): Block[] {
  return systemOrder(systems, repetition).map((system, position) => ({ phase: 'measure', system, repetition, position, workloads, scenario }));
}

/** Expected time of one step (a workload of a block; the first one also builds the block's topology and starts the system). */
export function plannedStepMs(block: Block, workload: WorkloadName): number {
  return WORKLOADS[workload].plannedMs(block.scenario) + (block.workloads[0] === workload ? BLOCK_OVERHEAD_MS : 0);
}

export function plannedBlockMs(block: Block): number {
  return block.workloads.reduce((sum, w) => sum + plannedStepMs(block, w), 0);
}

export function plannedTotalMs(blocks: readonly Block[]): number {
  return blocks.reduce((ms, block) => ms + plannedBlockMs(block), 0);
}

/** Every block of a run of `repetitions` repetitions, the warm-up first (for estimates made before the run). */
export function plannedBlocks(scenario: Scenario, systems: readonly SystemNameInScenario[], workloads: WorkloadName[], repetitions: number): Block[] {
  return [...warmupBlocks(scenario, systems), ...Array.from({ length: repetitions }, (_, i) => repetitionBlocks(scenario, systems, workloads, i + 1)).flat()];
}
