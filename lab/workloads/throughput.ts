// throughput: bulk download and upload with 1 and N flows, each cell (direction x flow
// count) its own window. Goodput is measured at the receiver (the server probe for
// uploads) on the shared clock, over the window after the omitted start (as iperf3
// --omit does), each flow's ends moved by up to a second to moments its receiver had
// caught up (goodput.ts caughtUpSpan): one sample per repetition and cell, bytes / time.
// The series per second is kept for the report only. A window above what the links can
// carry is a lab error: reported, and not a sample.
import type { Direction } from '../links/model.ts';
import type { Scenario } from '../scenario/schema.ts';
import { binsMbps, caughtUpSpan, sumBins } from './goodput.ts';
import { metric } from './metrics.ts';
import { PROBE_TARGET } from './probes.ts';
import { quietError, QUIET_MS, waitForQuietLinks } from '../topology/quiet.ts';
import { maxCpu, measuredProbe, PLAN_OVERHEAD_MS, type MetricSample, type ProbeCpuShare, type Timeline, type Workload } from './workload.ts';

const BIN_MS = 100;
/** The chart's series: bytes per second. */
const SERIES_BIN_MS = 1000;
/**
 * Above this share of the configured rate of both links together, a window's goodput is
 * beyond physics (TCP/IP headers alone take 3.5 % of a 1500-byte packet): bytes were
 * released from buffers filled before the window, or the lab miscounted.
 */
export const CAPACITY_SHARE_LIMIT = 0.97;

function params(scenario: Scenario) {
  const throughput = scenario.workloads.throughput;
  if (!throughput) throw new Error('workloads.throughput is not set in the scenario');
  return throughput;
}

function combinations(scenario: Scenario): { direction: Direction; flows: number }[] {
  const { directions, flows } = params(scenario);
  return directions.flatMap((direction) => flows.map((n) => ({ direction, flows: n })));
}

/** Configured rate of link A + link B in a direction, Mbit/s. */
export function capacityMbps(scenario: Scenario, direction: Direction): number {
  return (scenario.links.a[direction].rateBitsPerSec + scenario.links.b[direction].rateBitsPerSec) / 1e6;
}

/**
 * How far each end of a window may move to a caught-up moment, and at most a quarter of
 * the window. On lossy-wisp's recorded series 1 s left the windows' app/wire spread
 * narrower than 0.5 s; holds of 4-flow uploads last longer than either.
 */
const CAUGHT_UP_SEARCH_MS = 1000;

/**
 * Mbit/s of the flows together over [omitMs, durationMs): each flow's over its own span
 * with ends moved to moments it had caught up (each connection has its own reorder
 * queue); with `fixedEnds` all exactly over it: a flow that broke is silent at an end,
 * which a caught-up end would cut off.
 */
export function windowGoodputMbps(flowBins: readonly (readonly number[])[], omitMs: number, durationMs: number, fixedEnds = false): number {
  const fromBin = Math.ceil(omitMs / BIN_MS);
  const toBin = Math.floor(durationMs / BIN_MS);
  const searchBins = Math.min(CAUGHT_UP_SEARCH_MS / BIN_MS, Math.floor((toBin - fromBin) / 4));
  const flowMbps = (bins: readonly number[]) => {
    const span = fixedEnds ? { fromBin, toBin } : caughtUpSpan(bins, fromBin, toBin, searchBins);
    return binsMbps(bins, span.fromBin, span.toBin, BIN_MS);
  };
  return flowBins.reduce((total, bins) => total + flowMbps(bins), 0);
}

/** Bytes per SERIES_BIN_MS from BIN_MS bins, for the chart. */
function series(bins: readonly number[]): number[] {
  const per = SERIES_BIN_MS / BIN_MS;
  return Array.from({ length: Math.ceil(bins.length / per) }, (_, i) => bins.slice(i * per, (i + 1) * per).reduce((a, b) => a + b, 0));
}

export const throughputWorkload: Workload = {
  name: 'throughput',
  validate: (scenario) => void params(scenario),
  plannedMs: (scenario) => combinations(scenario).length * (PLAN_OVERHEAD_MS + QUIET_MS + params(scenario).duration + 200),
  async run(context) {
    const { duration, omit } = params(context.scenario);
    const samples: MetricSample[] = [];
    const timelines: Timeline[] = [];
    const errors: string[] = [];
    const labErrors: string[] = [];
    const cpu: ProbeCpuShare[] = [];
    for (const labels of combinations(context.scenario)) {
      const cell = `${labels.direction} ${labels.flows} flow(s)`;
      // A cell that starts while the links still carry what the last one left (an SSH
      // tunnel holds seconds of an upload in its one stream) would measure that, not
      // itself: it is not measured, which also gives the drain the next cell's wait.
      const quiet = quietError(await waitForQuietLinks(Object.values(context.topology.links)), cell);
      if (quiet) {
        labErrors.push(`${quiet}: not measured`);
        continue;
      }
      const plan = { mode: 'bulk' as const, target: PROBE_TARGET, direction: labels.direction, flows: labels.flows, durationMs: duration, binMs: BIN_MS };
      const { result, probeCpu } = await measuredProbe(context, plan, duration + 30_000);
      cpu.push(probeCpu);
      // A flow that broke counts with what it delivered (an upload whose report was lost,
      // with nothing): the window's goodput is then a lower bound, censored.
      const failed = result.flows.filter((f) => f.error !== null);
      if (failed.length > 0) errors.push(`${cell}: ${failed.map((f) => `flow ${f.stream}: ${f.error}`).join('; ')}`);
      const censored = failed.length > 0;
      const bins = sumBins(result.flows);
      const mbps = windowGoodputMbps(result.flows.map((f) => f.bins), omit, duration, censored);
      const capacity = capacityMbps(context.scenario, labels.direction);
      timelines.push({ name: metric('goodput_mbps', labels).key, binMs: SERIES_BIN_MS, values: series(bins), events: [] });
      if (mbps > CAPACITY_SHARE_LIMIT * capacity) {
        labErrors.push(`${cell}: goodput ${mbps.toFixed(2)} Mbit/s over the window is above ${CAPACITY_SHARE_LIMIT} x the links' ${capacity} Mbit/s: not a sample`);
        continue;
      }
      samples.push(
        { metric: metric('goodput_mbps', labels), value: mbps, atMs: omit, ...(censored && { censored }) },
        { metric: metric('aggregation', labels), value: mbps / capacity, atMs: omit, ...(censored && { censored }) },
      );
    }
    return { samples, timelines, errors, labErrors, probeCpu: maxCpu(cpu) };
  },
};
