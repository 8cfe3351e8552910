// failover: what a person lives through when one ISP drops out (a radio
// re-association). For each link in `failover.links`, its own window: `before` of normal
// use, the link down for `outage`, then `after` it returned. Throughout, a bulk
// download, an interactive echo every 100 ms on its own connection, a fresh
// connection (connect, one request, first byte) every 250 ms, and a name lookup every
// 250 ms. Does the download stall, how fast does it move over the other link, how long
// until it is back, can a page be opened and a name resolved while the link is down,
// does the session keep echoing? Metrics carry the link
// that went down (stall_link_a_ms); the timeline marks every fresh connection ok/failed.
import type { LinkName } from '../links/model.ts';
import type { Scenario } from '../scenario/schema.ts';
import { blackholeCounts, resetBlackholeDetection } from '../topology/blackhole.ts';
import { quietError, QUIET_MS, waitForQuietLinks } from '../topology/quiet.ts';
import { fetchLatencies, latencySample, successSample } from './attempts.ts';
import { RESPONSE_BYTES } from './connect.ts';
import { deliveredAfter, duringOutage, FIGURE_BIN_MS, outageGoodputRatio, recovery, stall, type DownloadSeries, type Outage } from './failover-figures.ts';
import { ECHO_BYTES } from './hol.ts';
import { LAB_DNS } from '../topology/types.ts';
import { metric, type BaseMetricName, type LinkLabel } from './metrics.ts';
import type { ClientResult } from './probe/plan.ts';
import { PROBE_TARGET } from './probes.ts';
import { playSchedule, type SchedulePlayer } from './schedule.ts';
import { maxCpu, measuredProbe, PLAN_OVERHEAD_MS, type MetricSample, type ProbeCpuShare, type Timeline, type Workload, type WorkloadContext } from './workload.ts';

const ECHO_INTERVAL_MS = 100;
const CONNECT_INTERVAL_MS = 250;
/**
 * An echo or a fresh connection not answered within this failed, for a person at the
 * keyboard or opening a page. The schema's minimum `after` (5 s) leaves room for the
 * attempts started late in the outage to be answered or time out inside the window.
 */
const ATTEMPT_TIMEOUT_MS = 3000;
const LOOKUP_INTERVAL_MS = 250;
/** A stub resolver's retransmission (glibc's `options timeout:1`); a lookup fails after ATTEMPT_TIMEOUT_MS. */
const LOOKUP_RETRANSMIT_MS = 1000;
const DNS_PORT = 53;
/** The timeline's bins: the figures use 10 ms, the chart needs less. */
const TIMELINE_BIN_MS = 50;

type FailoverResult = Extract<ClientResult, { mode: 'failover' }>;

function params(scenario: Scenario) {
  const failover = scenario.workloads.failover;
  if (!failover) throw new Error('workloads.failover is not set in the scenario');
  return { ...failover, windowMs: failover.before + failover.outage + failover.after };
}

const other = (link: LinkName): LinkName => (link === 'a' ? 'b' : 'a');

/**
 * Attempts of one kind started during the outage: a 0/1 success sample each and its
 * latency (censored at the timeout when it failed). One entry per kind of attempt the
 * window makes (fresh connections, name lookups).
 */
interface AttemptSeries {
  success: BaseMetricName;
  latency: BaseMetricName;
  timeoutMs: number;
  attempts: { startMs: number; latencyMs: number | null }[];
}

function attemptSamples(series: AttemptSeries, label: LinkLabel, outage: Outage): MetricSample[] {
  return duringOutage(series.attempts, (a) => a.startMs, outage).flatMap((a) => [
    successSample(metric(series.success, label), a.latencyMs !== null && a.latencyMs <= series.timeoutMs, a.startMs),
    latencySample(metric(series.latency, label), a.latencyMs, series.timeoutMs, a.startMs),
  ]);
}

/** The samples of one link's window, times ms after the window's start. */
function windowSamples(result: FailoverResult, link: LinkName, outage: Outage, survivingRateBitsPerSec: number): MetricSample[] {
  const label = { link };
  const at = (ms: number) => ms - result.refMs;
  const series: DownloadSeries = { bins: result.flow.bins, gaps: result.flow.gaps, firstMs: result.flow.firstMs === null ? null : at(result.flow.firstMs), endMs: at(result.untilMs) };
  const stalled = stall(series, outage);
  const recovered = recovery(series, outage);
  const survived = result.flow.error === null && result.flow.verified && deliveredAfter(series, outage);
  const connections: AttemptSeries = {
    success: 'new_connect_success_ratio',
    latency: 'new_connect_ttfb_ms',
    timeoutMs: ATTEMPT_TIMEOUT_MS,
    attempts: result.fetches.map((f) => ({ startMs: at(f.startMs), latencyMs: fetchLatencies(f).ttfbMs })),
  };
  const lookups: AttemptSeries = {
    success: 'dns_success_ratio',
    latency: 'dns_ms',
    timeoutMs: ATTEMPT_TIMEOUT_MS,
    attempts: result.lookups.map((l) => ({ startMs: at(l.startMs), latencyMs: l.answerMs === null ? null : l.answerMs - l.startMs })),
  };
  const echoes = duringOutage(result.echoes, (e) => at(e.sentMs), outage);
  return [
    { metric: metric('stall_ms', label), value: stalled.value, atMs: outage.downMs, ...(stalled.censored && { censored: true }) },
    { metric: metric('outage_goodput_ratio', label), value: outageGoodputRatio(series, outage, survivingRateBitsPerSec), atMs: outage.downMs },
    { metric: metric('recovery_ms', label), value: recovered.value, atMs: outage.upMs, ...(recovered.censored && { censored: true }) },
    ...attemptSamples(connections, label, outage),
    ...attemptSamples(lookups, label, outage),
    ...echoes.map((e) => latencySample(metric('echo_rtt_outage_ms', label), e.rttMs, ATTEMPT_TIMEOUT_MS, at(e.sentMs))),
    successSample(metric('survived', label), survived, null),
  ];
}

/** The download's bytes per TIMELINE_BIN_MS, the outage, and every fresh connection (ok or failed), for the report. */
function windowTimeline(result: FailoverResult, link: LinkName, outage: Outage): Timeline {
  const per = TIMELINE_BIN_MS / FIGURE_BIN_MS;
  const bins = result.flow.bins;
  return {
    name: `received_bytes_link_${link}`,
    binMs: TIMELINE_BIN_MS,
    values: Array.from({ length: Math.ceil(bins.length / per) }, (_, i) => bins.slice(i * per, (i + 1) * per).reduce((a, b) => a + b, 0)),
    events: [{ kind: 'outage', link, startMs: outage.downMs, endMs: outage.upMs }],
    attempts: result.fetches.map((f) => ({ atMs: f.startMs - result.refMs, ok: f.error === null })),
  };
}

function windowErrors(result: FailoverResult, link: LinkName): string[] {
  const failedConnections = result.fetches.filter((f) => f.error !== null).length;
  const failedLookups = result.lookups.filter((l) => l.error !== null);
  return [
    ...(result.flow.error ? [`link ${link}: download: ${result.flow.error}`] : []),
    ...(result.echoError ? [`link ${link}: interactive flow: ${result.echoError}`] : []),
    ...(failedConnections > 0 ? [`link ${link}: ${failedConnections} of ${result.fetches.length} fresh connections failed`] : []),
    ...(failedLookups.length > 0 ? [`link ${link}: ${failedLookups.length} of ${result.lookups.length} name lookups failed (first: ${failedLookups[0]!.error})`] : []),
  ];
}

/** Runs one link's window; the outage is played on the probe's clock, from its reference time. */
async function runWindow(context: WorkloadContext, link: LinkName): Promise<{ result: FailoverResult; outage: Outage; probeCpu: ProbeCpuShare }> {
  const failover = params(context.scenario);
  const plan = {
    mode: 'failover' as const,
    target: PROBE_TARGET,
    windowMs: failover.windowMs,
    binMs: FIGURE_BIN_MS,
    echo: { intervalMs: ECHO_INTERVAL_MS, bytes: ECHO_BYTES, timeoutMs: ATTEMPT_TIMEOUT_MS },
    connectIntervalMs: CONNECT_INTERVAL_MS,
    fetch: { responseBytes: RESPONSE_BYTES, timeoutMs: ATTEMPT_TIMEOUT_MS },
    lookup: { resolver: { host: LAB_DNS.resolver, port: DNS_PORT }, name: LAB_DNS.name, address: LAB_DNS.address, intervalMs: LOOKUP_INTERVAL_MS, retransmitMs: LOOKUP_RETRANSMIT_MS, timeoutMs: ATTEMPT_TIMEOUT_MS },
  };
  const schedule = [{ atMs: failover.before, action: { kind: 'outage' as const, durationMs: failover.outage } }];
  let player: SchedulePlayer | undefined;
  try {
    const { result, probeCpu } = await measuredProbe(context, plan, failover.windowMs + 30_000, (refMs) => (player = playSchedule(context.topology.links[link], schedule, refMs)));
    await player?.allPlayed();
    const played = player?.played.find((e) => e.kind === 'outage' && e.endMs !== null);
    if (!played || played.endMs === null) throw new Error(`the outage of link ${link} was not played`);
    return { result, outage: { downMs: played.startMs - result.refMs, upMs: played.endMs - result.refMs }, probeCpu };
  } finally {
    await player?.finish();
  }
}

export const failoverWorkload: Workload = {
  name: 'failover',
  validate: (scenario) => void params(scenario),
  plannedMs: (scenario) => params(scenario).links.length * (PLAN_OVERHEAD_MS + QUIET_MS + params(scenario).windowMs + 300),
  async run(context) {
    const samples: MetricSample[] = [];
    const timelines: Timeline[] = [];
    const errors: string[] = [];
    const labErrors: string[] = [];
    const cpu: ProbeCpuShare[] = [];
    for (const link of params(context.scenario).links) {
      const quiet = quietError(await waitForQuietLinks(Object.values(context.topology.links)), `the window of link ${link}`);
      if (quiet) labErrors.push(quiet);
      const blackholesBefore = (await blackholeCounts(context.topology.ns)).events;
      const { result, outage, probeCpu } = await runWindow(context, link).finally(() => resetBlackholeDetection(context.topology.ns));
      const blackholes = (await blackholeCounts(context.topology.ns)).events - blackholesBefore;
      if (blackholes > 0) errors.push(`link ${link}: the kernel's MPTCP blackhole detection fired ${blackholes} time(s) (lost MP_CAPABLE SYNs): new connections fell back to TCP until the window's end`);
      const surviving = context.scenario.links[other(link)].down.rateBitsPerSec;
      samples.push(...windowSamples(result, link, outage, surviving));
      timelines.push(windowTimeline(result, link, outage));
      errors.push(...windowErrors(result, link));
      cpu.push(probeCpu);
    }
    return { samples, timelines, errors, labErrors, probeCpu: maxCpu(cpu) };
  },
};
