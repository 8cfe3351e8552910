// throughput: bulk download and upload for a fixed time with 1 and N flows. Goodput is
// measured at the receiver (the server probe for uploads) on the shared clock, per
// interval of about 1 s after a ramp-up that is left out, as iperf's --omit does.
import type { Direction } from '../links/model.ts';
import type { Scenario } from '../scenario/schema.ts';
import { binsMbps, sumBins } from './goodput.ts';
import { metric } from './metrics.ts';
import { PROBE_TARGET } from './probes.ts';
import { maxCpu, measuredProbe, PLAN_OVERHEAD_MS, type MetricSample, type ProbeCpuShare, type Workload } from './workload.ts';

const BIN_MS = 100;
const INTERVAL_MS = 1000;

function params(scenario: Scenario) {
  const throughput = scenario.workloads.throughput;
  if (!throughput) throw new Error('workloads.throughput is not set in the scenario');
  return throughput;
}

function combinations(scenario: Scenario): { direction: Direction; flows: number }[] {
  const { directions, flows } = params(scenario);
  return directions.flatMap((direction) => flows.map((n) => ({ direction, flows: n })));
}

/**
 * Ramp-up left out: a quarter of the run, at most 1 s. MPTCP joins its second subflow
 * only after the first bytes, and that subflow then has its own slow start.
 */
export function omitMs(durationMs: number): number {
  return Math.floor(Math.min(1000, durationMs / 4) / BIN_MS) * BIN_MS;
}

/** [fromBin, toBin) spans splitting the time after the ramp-up into equal intervals of about 1 s (at least one). */
export function intervals(durationMs: number): [number, number][] {
  const first = omitMs(durationMs) / BIN_MS;
  const windowBins = Math.floor(durationMs / BIN_MS) - first;
  const count = Math.max(1, Math.floor((windowBins * BIN_MS) / INTERVAL_MS));
  const length = Math.floor(windowBins / count);
  return Array.from({ length: count }, (_, i): [number, number] => [first + i * length, first + (i + 1) * length]);
}

export const throughputWorkload: Workload = {
  name: 'throughput',
  validate: (scenario) => void params(scenario),
  plannedMs: (scenario) => combinations(scenario).length * (PLAN_OVERHEAD_MS + params(scenario).duration + 200),
  async run(context) {
    const { duration } = params(context.scenario);
    const samples: MetricSample[] = [];
    const errors: string[] = [];
    const cpu: ProbeCpuShare[] = [];
    for (const labels of combinations(context.scenario)) {
      const plan = { mode: 'bulk' as const, target: PROBE_TARGET, direction: labels.direction, flows: labels.flows, durationMs: duration, binMs: BIN_MS };
      const { result, probeCpu } = await measuredProbe(context, plan, duration + 30_000);
      cpu.push(probeCpu);
      const failed = result.flows.filter((f) => f.error !== null);
      if (failed.length > 0) {
        errors.push(`${labels.direction} ${labels.flows} flow(s): ${failed.map((f) => `flow ${f.stream}: ${f.error}`).join('; ')}`);
        continue;
      }
      const bins = sumBins(result.flows);
      const capacityMbps = (context.scenario.links.a[labels.direction].rateBitsPerSec + context.scenario.links.b[labels.direction].rateBitsPerSec) / 1e6;
      for (const [from, to] of intervals(duration)) {
        const mbps = binsMbps(bins, from, to, BIN_MS);
        samples.push({ metric: metric('goodput_mbps', labels), value: mbps, atMs: from * BIN_MS });
        samples.push({ metric: metric('aggregation', labels), value: mbps / capacityMbps, atMs: from * BIN_MS });
      }
    }
    if (samples.length === 0) throw new Error(`no transfer completed: ${errors.join('; ')}`);
    return { samples, timelines: [], errors, probeCpu: maxCpu(cpu) };
  },
};
