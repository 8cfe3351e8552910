// Attempts become samples here, the same way in every workload: each attempt gives a
// 0/1 success sample, and its latencies are observed when it succeeded in time, else
// entered at the timeout, censored. Nothing an attempt measured leaves the figures.
import type { MetricInfo } from './metrics.ts';
import type { FetchRecord } from './probe/flows.ts';
import type { MetricSample } from './workload.ts';

/** A latency: observed, or censored at `timeoutMs` when it is missing (failed) or came after the timeout. */
export function latencySample(info: MetricInfo, latencyMs: number | null, timeoutMs: number, atMs: number | null): MetricSample {
  if (latencyMs === null || latencyMs > timeoutMs) return { metric: info, value: timeoutMs, atMs, censored: true };
  return { metric: info, value: latencyMs, atMs };
}

/** One attempt's outcome, 1 or 0; `censored` when the attempt was not made but counts as failed. */
export function successSample(info: MetricInfo, ok: boolean, atMs: number | null, censored = false): MetricSample {
  return censored ? { metric: info, value: ok ? 1 : 0, atMs, censored } : { metric: info, value: ok ? 1 : 0, atMs };
}

/** ms after the workload's reference time. */
export const since = (refMs: number, atMs: number): number => atMs - refMs;

/** The latencies of a fresh connection (null where the attempt failed: the failed attempt is censored as a whole). */
export function fetchLatencies(fetch: FetchRecord): { connectMs: number | null; readyMs: number | null; ttfbMs: number | null } {
  const ok = fetch.error === null;
  const after = (atMs: number | null) => (ok && atMs !== null ? atMs - fetch.startMs : null);
  return { connectMs: after(fetch.connectMs), readyMs: after(fetch.acceptMs), ttfbMs: after(fetch.firstByteMs) };
}

/** A short line for a failed attempt, for the run's error list. */
export function fetchError(fetch: FetchRecord, refMs: number): string {
  return `connection at +${Math.round(fetch.startMs - refMs)} ms: ${fetch.error ?? 'incomplete'}`;
}
