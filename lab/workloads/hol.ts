// hol: head-of-line blocking, latency under load (after Flent's RRUL). An interactive
// flow echoes a small request every probeInterval on its own connection, first alone,
// then while bulk downloads saturate the links and fresh connections open now and then.
// A system that funnels every connection into one stream (the SSH tunnel) shows it here.
import type { Scenario } from '../scenario/schema.ts';
import { fetchSamples, FETCH_TIMEOUT_MS, RESPONSE_BYTES } from './connect.ts';
import { metric } from './metrics.ts';
import { PROBE_TARGET } from './probes.ts';
import { measuredProbe, PLAN_OVERHEAD_MS, type MetricSample, type Workload } from './workload.ts';

/** An interactive request, as a keystroke or a small API call. */
export const ECHO_BYTES = 64;
/** Echoes in the first moments of the load, before the bulk flows have filled the queues, count as neither. */
export const LOAD_SETTLE_MS = 500;
const BIN_MS = 100;

function params(scenario: Scenario) {
  const hol = scenario.workloads.hol;
  if (!hol) throw new Error('workloads.hol is not set in the scenario');
  return hol;
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
      probeIntervalMs: hol.probeInterval,
      echoBytes: ECHO_BYTES,
      newConnectionIntervalMs: hol.newConnectionInterval,
      responseBytes: RESPONSE_BYTES,
      timeoutMs: FETCH_TIMEOUT_MS,
      binMs: BIN_MS,
    };
    const { result, probeCpu } = await measuredProbe(context, plan, hol.idle + hol.duration + FETCH_TIMEOUT_MS + 20_000);
    const samples: MetricSample[] = [];
    const errors: string[] = [];
    const loadedFromMs = result.loadStartMs + LOAD_SETTLE_MS;
    for (const echo of result.echoes) {
      const atMs = echo.sentMs - result.refMs;
      if (echo.sentMs + echo.rttMs <= result.loadStartMs) samples.push({ metric: metric('rtt_idle_ms'), value: echo.rttMs, atMs });
      else if (echo.sentMs >= loadedFromMs) samples.push({ metric: metric('rtt_loaded_ms'), value: echo.rttMs, atMs });
    }
    if (result.echoError) errors.push(`interactive flow: ${result.echoError}`);
    for (const fetch of result.fetches) {
      const taken = fetchSamples(fetch, result.refMs);
      if (typeof taken === 'string') errors.push(taken);
      else {
        const ttfb = taken.find((s) => s.metric.key === 'ttfb_ms')!;
        samples.push({ ...ttfb, metric: metric('ttfb_loaded_ms') });
      }
    }
    for (const flow of result.flows) if (flow.error) errors.push(`bulk flow ${flow.stream}: ${flow.error}`);
    // Without any load, 'loaded' round trips would be idle ones under another name.
    if (result.flows.every((f) => f.error !== null)) throw new Error(`no bulk download kept the links loaded: ${errors.join('; ')}`);
    if (!samples.some((s) => s.metric.key === 'rtt_loaded_ms')) throw new Error(`no interactive round trip completed under load${errors.length ? `: ${errors.join('; ')}` : ''}`);
    return { samples, timelines: [], errors, probeCpu };
  },
};
