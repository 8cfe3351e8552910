// transfer: a file of fixed size downloaded and uploaded, each time on a fresh
// connection, one at a time: the time a person waits for a 4 MB file, connection set-up
// and the congestion controls' start-up included, which throughput's steady windows
// leave out on purpose. One sample per transfer; a transfer whose goodput is beyond
// what the links carry is a lab error, not a sample.
import type { Direction } from '../links/model.ts';
import type { Scenario } from '../scenario/schema.ts';
import { quietError, QUIET_MS, waitForQuietLinks } from '../topology/quiet.ts';
import { latencySample, since, successSample } from './attempts.ts';
import { metric } from './metrics.ts';
import { PROBE_TARGET } from './probes.ts';
import type { TransferRecord } from './probe/flows.ts';
import { capacityMbps, CAPACITY_SHARE_LIMIT } from './throughput.ts';
import { maxCpu, measuredProbe, PLAN_OVERHEAD_MS, type MetricSample, type ProbeCpuShare, type Workload } from './workload.ts';

function params(scenario: Scenario) {
  const transfer = scenario.workloads.transfer;
  if (!transfer) throw new Error('workloads.transfer is not set in the scenario');
  return transfer;
}

/** Mbit/s of `bytes` over `ms`. */
const mbps = (bytes: number, ms: number) => (bytes * 8) / (ms * 1000);

/** The samples of one transfer, or a lab error when its goodput is beyond the links' capacity. */
export function transferSamples(record: TransferRecord, direction: Direction, size: number, timeoutMs: number, capacity: number, refMs: number): { samples: MetricSample[]; labError?: string; error?: string } {
  const atMs = since(refMs, record.startMs);
  const label = { direction };
  const ms = record.error === null && record.endMs !== null ? record.endMs - record.startMs : null;
  if (ms !== null && mbps(size, ms) > CAPACITY_SHARE_LIMIT * capacity) {
    return { samples: [], labError: `${direction} transfer at +${Math.round(atMs)} ms: ${mbps(size, ms).toFixed(2)} Mbit/s is above ${CAPACITY_SHARE_LIMIT} x the links' ${capacity} Mbit/s: not a sample` };
  }
  const time = latencySample(metric('transfer_ms', label), ms, timeoutMs, atMs);
  return {
    samples: [
      time,
      { metric: metric('transfer_goodput_mbps', label), value: mbps(size, time.value), atMs, ...(time.censored && { censored: true }) },
      successSample(metric('transfer_success_ratio', label), !time.censored, atMs),
    ],
    ...(record.error !== null && { error: `${direction} transfer at +${Math.round(atMs)} ms: ${record.error} (${record.bytes} of ${size} bytes)` }),
  };
}

export const transferWorkload: Workload = {
  name: 'transfer',
  validate: (scenario) => void params(scenario),
  plannedMs(scenario) {
    const { size, count, directions } = params(scenario);
    // At the slower link's rate: the single-link systems' time, the longest.
    const perTransferMs = (direction: Direction) => (size * 8) / (Math.min(scenario.links.a[direction].rateBitsPerSec, scenario.links.b[direction].rateBitsPerSec) / 1000) + 500;
    return directions.reduce((ms, direction) => ms + PLAN_OVERHEAD_MS + QUIET_MS + count * perTransferMs(direction), 0);
  },
  async run(context) {
    const { size, count, directions, timeout } = params(context.scenario);
    const samples: MetricSample[] = [];
    const errors: string[] = [];
    const labErrors: string[] = [];
    const cpu: ProbeCpuShare[] = [];
    for (const direction of directions) {
      const quiet = quietError(await waitForQuietLinks(Object.values(context.topology.links)), `${direction} transfers`);
      if (quiet) {
        labErrors.push(`${quiet}: not measured`);
        continue;
      }
      const plan = { mode: 'transfer' as const, target: PROBE_TARGET, direction, bytes: size, count, timeoutMs: timeout };
      const { result, probeCpu } = await measuredProbe(context, plan, count * timeout + 10_000);
      cpu.push(probeCpu);
      const capacity = capacityMbps(context.scenario, direction);
      for (const record of result.transfers) {
        const taken = transferSamples(record, direction, size, timeout, capacity, result.refMs);
        samples.push(...taken.samples);
        if (taken.labError) labErrors.push(taken.labError);
        if (taken.error) errors.push(taken.error);
      }
    }
    return { samples, timelines: [], errors, labErrors, probeCpu: maxCpu(cpu) };
  },
};
