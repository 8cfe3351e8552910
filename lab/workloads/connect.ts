// connect: fresh connections through the system, one at a time, each writing its
// request at connect as a browser would; what opening a page costs.
import { baseRttMs } from '../links/model.ts';
import type { Scenario } from '../scenario/schema.ts';
import { metric } from './metrics.ts';
import type { FetchRecord } from './probe/flows.ts';
import { PROBE_TARGET } from './probes.ts';
import { measuredProbe, PLAN_OVERHEAD_MS, type MetricSample, type Workload } from './workload.ts';

/** A small page: the answer fits in a few packets, so ttfb is latency, not rate. */
export const RESPONSE_BYTES = 1024;
export const FETCH_TIMEOUT_MS = 10_000;
const GIVE_UP_AFTER_FAILURES = 3;

function params(scenario: Scenario) {
  const connect = scenario.workloads.connect;
  if (!connect) throw new Error('workloads.connect is not set in the scenario');
  return connect;
}

/** Samples of one fetch, taken on the shared clock; a failed fetch gives an error instead. */
export function fetchSamples(fetch: FetchRecord, refMs: number): MetricSample[] | string {
  if (fetch.error !== null || fetch.connectMs === null || fetch.firstByteMs === null || fetch.acceptMs === null) {
    return `connection at +${Math.round(fetch.startMs - refMs)} ms: ${fetch.error ?? 'incomplete'}`;
  }
  const atMs = fetch.startMs - refMs;
  return [
    { metric: metric('connect_ms'), value: fetch.connectMs - fetch.startMs, atMs },
    { metric: metric('ready_ms'), value: fetch.acceptMs - fetch.startMs, atMs },
    { metric: metric('ttfb_ms'), value: fetch.firstByteMs - fetch.startMs, atMs },
  ];
}

export const connectWorkload: Workload = {
  name: 'connect',
  validate: (scenario) => void params(scenario),
  plannedMs(scenario) {
    const rttMs = Math.max(baseRttMs(scenario.links.a), baseRttMs(scenario.links.b));
    return PLAN_OVERHEAD_MS + params(scenario).connections * (3 * rttMs + 20);
  },
  async run(context) {
    const { connections } = params(context.scenario);
    const plan = {
      mode: 'connect' as const,
      target: PROBE_TARGET,
      count: connections,
      responseBytes: RESPONSE_BYTES,
      timeoutMs: FETCH_TIMEOUT_MS,
      giveUpAfter: GIVE_UP_AFTER_FAILURES,
    };
    const { result, probeCpu } = await measuredProbe(context, plan, connections * FETCH_TIMEOUT_MS + 10_000);
    const samples: MetricSample[] = [];
    const errors: string[] = [];
    for (const fetch of result.fetches) {
      const taken = fetchSamples(fetch, result.refMs);
      if (typeof taken === 'string') errors.push(taken);
      else samples.push(...taken);
    }
    if (samples.length === 0) throw new Error(`no connection succeeded: ${errors.slice(0, 3).join('; ')}`);
    if (result.fetches.length < connections) errors.push(`gave up after ${GIVE_UP_AFTER_FAILURES} failures in a row (${result.fetches.length} of ${connections} connections tried)`);
    return { samples, timelines: [], errors, probeCpu };
  },
};
