// hol: head-of-line blocking, latency under load (after Flent's RRUL). An interactive
// flow sends a small frame every probeInterval on its own connection, on a fixed
// schedule (open loop), first alone, then while bulk downloads saturate the links and
// fresh connections open now and then. A system that funnels every connection into one
// stream (the SSH tunnel) shows it here.
import type { Scenario } from '../scenario/schema.ts';
import { fetchError, fetchLatencies, latencySample, since, successSample } from './attempts.ts';
import { RESPONSE_BYTES } from './connect.ts';
import { LOAD_SETTLE_MS, loadErrors, requireLoad } from './load.ts';
import { metric } from './metrics.ts';
import type { EchoRecord } from './probe/echo.ts';
import { PROBE_TARGET } from './probes.ts';
import { measuredProbe, PLAN_OVERHEAD_MS, type MetricSample, type Workload } from './workload.ts';

/** An interactive request, as a keystroke or a small API call. */
export const ECHO_BYTES = 64;
const BIN_MS = 100;

function params(scenario: Scenario) {
  const hol = scenario.workloads.hol;
  if (!hol) throw new Error('workloads.hol is not set in the scenario');
  return hol;
}

/**
 * Idle: sent before the load and answered before it (or never: an echo lost with
 * nothing else running is an idle one). Loaded: sent once the load has settled. The
 * echoes in between show the transition and count in the success ratio only.
 */
export function echoPhase(echo: EchoRecord, loadStartMs: number): 'idle' | 'loaded' | 'transition' {
  if (echo.sentMs < loadStartMs && (echo.rttMs === null || echo.sentMs + echo.rttMs <= loadStartMs)) return 'idle';
  return echo.sentMs >= loadStartMs + LOAD_SETTLE_MS ? 'loaded' : 'transition';
}

export const holWorkload: Workload = {
  name: 'hol',
  validate: (scenario) => void params(scenario),
  plannedMs: (scenario) => PLAN_OVERHEAD_MS + params(scenario).idle + params(scenario).duration + 500,
  async run(context) {
    const hol = params(context.scenario);
    const plan = {
      mode: 'hol' as const,
      target: PROBE_TARGET,
      idleMs: hol.idle,
      loadedMs: hol.duration,
      bulkFlows: hol.bulkFlows,
      echo: { intervalMs: hol.probeInterval, bytes: ECHO_BYTES, timeoutMs: hol.timeout },
      newConnectionIntervalMs: hol.newConnectionInterval,
      fetch: { responseBytes: RESPONSE_BYTES, timeoutMs: hol.timeout },
      binMs: BIN_MS,
    };
    const { result, probeCpu } = await measuredProbe(context, plan, hol.idle + hol.duration + 2 * hol.timeout + 20_000);
    const samples: MetricSample[] = [];
    const errors: string[] = [];
    for (const echo of result.echoes) {
      const atMs = since(result.refMs, echo.sentMs);
      const phase = echoPhase(echo, result.loadStartMs);
      if (phase !== 'transition') samples.push(latencySample(metric(phase === 'idle' ? 'rtt_idle_ms' : 'rtt_loaded_ms'), echo.rttMs, hol.timeout, atMs));
      samples.push(successSample(metric('echo_success_ratio'), echo.rttMs !== null && echo.rttMs <= hol.timeout, atMs));
    }
    const lost = result.echoes.filter((e) => e.rttMs === null || e.rttMs > hol.timeout).length;
    if (lost > 0) errors.push(`interactive flow: ${lost} of ${result.echoes.length} echoes not back within ${hol.timeout} ms${result.echoError ? ` (${result.echoError})` : ''}`);
    for (const fetch of result.fetches) {
      const atMs = since(result.refMs, fetch.startMs);
      samples.push(latencySample(metric('ttfb_loaded_ms'), fetchLatencies(fetch).ttfbMs, hol.timeout, atMs), successSample(metric('fetch_success_ratio'), fetch.error === null, atMs));
      if (fetch.error !== null) errors.push(fetchError(fetch, result.refMs));
    }
    errors.push(...loadErrors(result.flows));
    requireLoad(result.flows, errors);
    return { samples, timelines: [], errors, labErrors: [], probeCpu };
  },
};
