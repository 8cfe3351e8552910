// Per-metric noise floors for the baseline comparison: a change smaller than this is
// not a regression even when a test finds it real (criterion's noise threshold). The
// floors are sized for runs on emulated lossy links, where link jitter and random loss
// move a median by a few percent between two runs of the same code (A/A). Which way
// is better comes from the metric's definition, which results.json carries.
import type { MetricInfo } from '../report/html/run-view.ts';
import type { BaseMetricName, Better } from '../workloads/metrics.ts';

export interface NoisePolicy {
  better: Better;
  /** Which summary the comparison is on: the median, or the mean for 0/1 outcomes. */
  stat: 'p50' | 'mean';
  /** A change must exceed both: this fraction of the baseline... */
  relative: number;
  /** ...and this many units of the metric (ms, Mbit/s, ratio). */
  absolute: number;
}

type Floor = Omit<NoisePolicy, 'better'>;

// Times on the links' own scale (tens of ms) get 10 % and 3 ms; failover times hang on
// when a retransmission timer fires, so they get far more; `survived` is a 0/1 outcome,
// compared as the share of repetitions that survived; success ratios are 0/1 per
// attempt, compared as the share of attempts (5 points: one attempt in twenty).
const LATENCY: Floor = { stat: 'p50', relative: 0.1, absolute: 3 };
const SUCCESS: Floor = { stat: 'mean', relative: 0, absolute: 0.05 };
const FAILOVER_TIME: Floor = { stat: 'p50', relative: 0.3, absolute: 300 };
const FLOORS: Record<BaseMetricName, Floor> = {
  connect_ms: LATENCY,
  ready_ms: LATENCY,
  ttfb_ms: LATENCY,
  success_ratio: SUCCESS,
  keyscan_ms: LATENCY,
  keyscan_success_ratio: SUCCESS,
  keyscan_start_ms: LATENCY,
  rtt_idle_ms: LATENCY,
  rtt_loaded_ms: { stat: 'p50', relative: 0.15, absolute: 5 },
  echo_success_ratio: SUCCESS,
  ttfb_loaded_ms: { stat: 'p50', relative: 0.15, absolute: 5 },
  fetch_success_ratio: SUCCESS,
  // A page is tens of round trips: 15 % and 50 ms idle; under load, queues make it swing more.
  page_load_ms: { stat: 'p50', relative: 0.15, absolute: 50 },
  page_load_loaded_ms: { stat: 'p50', relative: 0.2, absolute: 200 },
  // A whole file, start-up included: loss early in it moves the time by round trips.
  transfer_ms: { stat: 'p50', relative: 0.15, absolute: 100 },
  transfer_goodput_mbps: { stat: 'p50', relative: 0.15, absolute: 0.2 },
  transfer_success_ratio: SUCCESS,
  goodput_mbps: { stat: 'p50', relative: 0.1, absolute: 0.2 },
  aggregation: { stat: 'p50', relative: 0.1, absolute: 0.02 },
  stall_ms: FAILOVER_TIME,
  outage_goodput_ratio: { stat: 'p50', relative: 0.15, absolute: 0.1 },
  recovery_ms: FAILOVER_TIME,
  new_connect_success_ratio: SUCCESS,
  new_connect_ttfb_ms: FAILOVER_TIME,
  echo_rtt_outage_ms: FAILOVER_TIME,
  dns_success_ratio: SUCCESS,
  dns_ms: FAILOVER_TIME,
  survived: { stat: 'mean', relative: 0, absolute: 0.2 },
};

/** The policy for a metric, or undefined for a base metric this lab version does not know. */
export function noisePolicy(info: MetricInfo): NoisePolicy | undefined {
  const floor = (FLOORS as Record<string, Floor | undefined>)[info.base];
  return floor && { better: info.better, ...floor };
}

/** The smallest change of `baseline` that counts, in the metric's units. */
export function noiseFloor(policy: NoisePolicy, baseline: number): number {
  return Math.max(policy.relative * Math.abs(baseline), policy.absolute);
}
