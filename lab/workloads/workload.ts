// What a workload is to the runner: it runs against one started system with a server
// probe already listening, and returns metric samples (never summaries).
import type { Scenario, WorkloadName } from '../scenario/schema.ts';
import type { RunningSystem } from '../systems/system.ts';
import type { Topology } from '../topology/types.ts';
import type { MetricInfo } from './metrics.ts';
import type { ClientProbe, ServerProbe } from './probes.ts';
import type { ClientPlan, ClientResult } from './probe/plan.ts';
import { monotonicMs } from './probe/clock.ts';

export interface WorkloadContext {
  scenario: Scenario;
  topology: Topology;
  system: RunningSystem;
  serverProbe: ServerProbe;
  clientProbe: ClientProbe;
}

export interface MetricSample {
  metric: MetricInfo;
  value: number;
  /** When it was taken, ms after the workload's start (for plots over time); null if not tied to a moment. */
  atMs: number | null;
  /**
   * The attempt failed or timed out: `value` is the bound it was censored at (the
   * timeout), so medians and tails include it. Absent means observed.
   */
  censored?: boolean;
}

/** A series over time for the report, e.g. bytes received per bin during a failover. */
export interface Timeline {
  name: string;
  binMs: number;
  values: number[];
  /** What happened when, ms after the workload's start. */
  events: { kind: 'outage' | 'rate'; link: string; startMs: number; endMs: number | null }[];
  /** Attempts made during the series (fresh connections in a failover window): when, and whether they succeeded. */
  attempts?: { atMs: number; ok: boolean }[];
}

export interface ProbeCpuShare {
  /** CPU time / wall time while measuring, per probe (1 = one core busy). */
  client: number;
  server: number;
}

export interface WorkloadRun {
  samples: MetricSample[];
  timelines: Timeline[];
  /** Things that went wrong without spoiling the whole run (a connection that timed out). */
  errors: string[];
  /**
   * The lab's own failures, not the system's: a goodput beyond what the links carry, links
   * that would not get quiet before a window. Reported with the run, never a sample.
   */
  labErrors: string[];
  probeCpu: ProbeCpuShare;
}

export interface Workload {
  name: WorkloadName;
  /** Throws, naming the field, if the scenario cannot run this workload. */
  validate(scenario: Scenario): void;
  /** Expected wall time of one run, for the progress estimate. */
  plannedMs(scenario: Scenario): number;
  run(context: WorkloadContext): Promise<WorkloadRun>;
}

/** Rough cost of handing a plan to the client probe and reading back its result. */
export const PLAN_OVERHEAD_MS = 100;

/**
 * Runs a client probe and measures both probes' CPU over the same span, so every
 * workload reports whether the probes could have been the bottleneck.
 */
export async function measuredProbe<M extends ClientPlan['mode']>(
  context: WorkloadContext,
  plan: Extract<ClientPlan, { mode: M }>,
  timeoutMs: number,
  onStarted?: (refMs: number) => void,
): Promise<{ result: Extract<ClientResult, { mode: M }>; probeCpu: ProbeCpuShare }> {
  const serverCpuBefore = context.serverProbe.cpuSeconds() ?? 0;
  const startMs = monotonicMs();
  const result = await context.clientProbe.run(plan, { timeoutMs, onStarted });
  const wallSeconds = (monotonicMs() - startMs) / 1000;
  const serverCpu = (context.serverProbe.cpuSeconds() ?? serverCpuBefore) - serverCpuBefore;
  return {
    result: result as Extract<ClientResult, { mode: M }>,
    probeCpu: { client: result.cpu.cpuSeconds / Math.max(result.cpu.wallSeconds, 1e-3), server: serverCpu / wallSeconds },
  };
}

export function maxCpu(shares: readonly ProbeCpuShare[]): ProbeCpuShare {
  return { client: Math.max(0, ...shares.map((s) => s.client)), server: Math.max(0, ...shares.map((s) => s.server)) };
}
