// connect: fresh connections through the system, one at a time, each writing its
// request at connect as a browser would; what opening a page costs.
import { baseRttMs } from '../links/model.ts';
import type { Scenario } from '../scenario/schema.ts';
import { fetchError, fetchLatencies, latencySample, since, successSample } from './attempts.ts';
import { metric } from './metrics.ts';
import { PROBE_TARGET } from './probes.ts';
import { measuredProbe, PLAN_OVERHEAD_MS, type MetricSample, type Workload } from './workload.ts';

/** A small page: the answer fits in a few packets, so ttfb is latency, not rate. */
export const RESPONSE_BYTES = 1024;
/**
 * A broken system must not eat the run: after this many failures in a row the probe
 * stops. The connections it did not try still count, as failed (censored) attempts in
 * success_ratio, and the run's errors say so.
 */
const GIVE_UP_AFTER_FAILURES = 3;

function params(scenario: Scenario) {
  const connect = scenario.workloads.connect;
  if (!connect) throw new Error('workloads.connect is not set in the scenario');
  return connect;
}

export const connectWorkload: Workload = {
  name: 'connect',
  validate: (scenario) => void params(scenario),
  plannedMs(scenario) {
    const rttMs = Math.max(baseRttMs(scenario.links.a), baseRttMs(scenario.links.b));
    return PLAN_OVERHEAD_MS + params(scenario).connections * (3 * rttMs + 20);
  },
  async run(context) {
    const { connections, timeout } = params(context.scenario);
    const plan = {
      mode: 'connect' as const,
      target: PROBE_TARGET,
      count: connections,
      fetch: { responseBytes: RESPONSE_BYTES, timeoutMs: timeout },
      giveUpAfter: GIVE_UP_AFTER_FAILURES,
    };
    const { result, probeCpu } = await measuredProbe(context, plan, connections * timeout + 10_000);
    const samples: MetricSample[] = [];
    const errors: string[] = [];
    for (const fetch of result.fetches) {
      const atMs = since(result.refMs, fetch.startMs);
      const { connectMs, readyMs, ttfbMs } = fetchLatencies(fetch);
      samples.push(
        latencySample(metric('connect_ms'), connectMs, timeout, atMs),
        latencySample(metric('ready_ms'), readyMs, timeout, atMs),
        latencySample(metric('ttfb_ms'), ttfbMs, timeout, atMs),
        successSample(metric('success_ratio'), fetch.error === null, atMs),
      );
      if (fetch.error !== null) errors.push(fetchError(fetch, result.refMs));
    }
    const notTried = connections - result.fetches.length;
    for (let i = 0; i < notTried; i++) samples.push(successSample(metric('success_ratio'), false, null, true));
    if (notTried > 0) errors.push(`gave up after ${GIVE_UP_AFTER_FAILURES} failures in a row: ${notTried} of ${connections} connections not tried, counted as failed (censored) in success_ratio`);
    return { samples, timelines: [], errors, labErrors: [], probeCpu };
  },
};
