// failover: one bulk download while the scenario's schedule takes a link down and
// brings it back (a radio re-association). Does the connection survive, how long do
// bytes stop, how long until it is back near its old goodput?
import type { Scenario } from '../scenario/schema.ts';
import { binsMbps, sumBins } from './goodput.ts';
import { metric } from './metrics.ts';
import type { FlowReport } from './probe/flows.ts';
import { PROBE_TARGET } from './probes.ts';
import { playSchedule, type PlayedEvent, type SchedulePlayer } from './schedule.ts';
import { measuredProbe, PLAN_OVERHEAD_MS, type MetricSample, type Timeline, type Workload } from './workload.ts';

const BIN_MS = 50;
/** Before the outage, the first second is ramp-up and does not count toward the reference goodput. */
const RAMP_UP_MS = 1000;
export const RECOVERY_WINDOW_MS = 500;
export const RECOVERY_FRACTION = 0.9;

function params(scenario: Scenario) {
  const failover = scenario.workloads.failover;
  if (!failover) throw new Error('workloads.failover is not set in the scenario');
  const schedule = scenario.links[failover.link].schedule;
  const outage = schedule.find((e) => e.action.kind === 'outage');
  if (!outage || outage.action.kind !== 'outage') throw new Error(`workloads.failover needs an outage in links.${failover.link}.schedule`);
  const outageEndMs = outage.atMs + outage.action.durationMs;
  if (outage.atMs < RAMP_UP_MS + 500) throw new Error(`links.${failover.link}.schedule: the outage must start at least ${RAMP_UP_MS + 500} ms in (goodput before it is the reference)`);
  if (outageEndMs + 1000 > failover.duration) throw new Error(`workloads.failover.duration must last at least 1s past the outage's end (${outageEndMs} ms)`);
  return { ...failover, schedule, outageStartMs: outage.atMs, outageEndMs };
}

export interface FailoverFigures {
  stallMs: number;
  survived: boolean;
  /** null when goodput never came back to the threshold before the end. */
  recoveryMs: number | null;
}

/** The failover metrics of one download, given when the link went down and came back (ms after refMs). */
export function failoverFigures(flow: FlowReport, downAtMs: number, upAtMs: number, durationMs: number): FailoverFigures {
  const bins = sumBins([flow]);
  const referenceMbps = binsMbps(bins, RAMP_UP_MS / BIN_MS, Math.floor(downAtMs / BIN_MS), BIN_MS);
  const windowBins = RECOVERY_WINDOW_MS / BIN_MS;
  const lastBin = Math.floor(durationMs / BIN_MS);
  let recoveryMs: number | null = null;
  for (let from = Math.ceil(upAtMs / BIN_MS); from + windowBins <= lastBin; from++) {
    if (binsMbps(bins, from, from + windowBins, BIN_MS) >= RECOVERY_FRACTION * referenceMbps) {
      recoveryMs = from * BIN_MS - upAtMs;
      break;
    }
  }
  const flowedAfter = flow.lastMs !== null && bins.slice(Math.ceil(upAtMs / BIN_MS)).some((b) => b > 0);
  return { stallMs: flow.maxGapMs, survived: flow.error === null && flow.verified && flowedAfter, recoveryMs };
}

export const failoverWorkload: Workload = {
  name: 'failover',
  validate: (scenario) => void params(scenario),
  plannedMs: (scenario) => PLAN_OVERHEAD_MS + params(scenario).duration + 500,
  async run(context) {
    const failover = params(context.scenario);
    const link = context.topology.links[failover.link];
    let player: SchedulePlayer | undefined;
    const plan = { mode: 'bulk' as const, target: PROBE_TARGET, direction: 'down' as const, flows: 1, durationMs: failover.duration, binMs: BIN_MS };
    let probe;
    try {
      probe = await measuredProbe(context, plan, failover.duration + 30_000, (refMs) => (player = playSchedule(link, failover.schedule, refMs)));
      // A download that broke early returns before the link is back: the outage still plays out in full.
      await player?.allPlayed();
    } finally {
      await player?.finish();
    }
    const { result, probeCpu } = probe;
    const flow = result.flows[0]!;
    const outage = player?.played.find((e: PlayedEvent) => e.kind === 'outage' && e.endMs !== null);
    if (!outage || outage.endMs === null) throw new Error(`the outage of link ${failover.link} was not played`);
    const downAtMs = outage.startMs - result.refMs;
    const upAtMs = outage.endMs - result.refMs;
    const figures = failoverFigures(flow, downAtMs, upAtMs, failover.duration);
    const samples: MetricSample[] = [
      { metric: metric('stall_ms'), value: figures.stallMs, atMs: null },
      { metric: metric('survived'), value: figures.survived ? 1 : 0, atMs: null },
    ];
    if (figures.recoveryMs !== null) samples.push({ metric: metric('recovery_ms'), value: figures.recoveryMs, atMs: upAtMs + figures.recoveryMs });
    const errors = [
      ...(flow.error ? [`download: ${flow.error}`] : []),
      ...(figures.survived && figures.recoveryMs === null ? [`goodput did not recover to ${RECOVERY_FRACTION * 100} % before the end`] : []),
    ];
    const timeline: Timeline = {
      name: 'received_bytes',
      binMs: BIN_MS,
      values: sumBins([flow]),
      events: player!.played.map((e) => ({ kind: e.kind, link: failover.link, startMs: e.startMs - result.refMs, endMs: e.endMs === null ? null : e.endMs - result.refMs })),
    };
    return { samples, timelines: [timeline], errors, probeCpu };
  },
};
