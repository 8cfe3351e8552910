// Per-metric noise floors for the baseline comparison: a change smaller than this is
// not a regression even when a test finds it real (criterion's noise threshold). The
// floors are sized for runs on emulated lossy links, where link jitter and random loss
// move a median by a few percent between two runs of the same code (A/A).

export type Better = 'lower' | 'higher';

export interface NoisePolicy {
  better: Better;
  /** Which summary the comparison is on: the median, or the mean for 0/1 outcomes. */
  stat: 'p50' | 'mean';
  /** A change must exceed both: this fraction of the baseline... */
  relative: number;
  /** ...and this many units of the metric (ms, Mbit/s, ratio). */
  absolute: number;
}

interface MetricPattern {
  pattern: RegExp;
  policy: NoisePolicy;
}

// First match wins. Times on the links' own scale (tens of ms) get 10 % and 3 ms; the
// failover times depend on when a retransmission timer fires, so they get much more.
const POLICIES: MetricPattern[] = [
  { pattern: /^survived$/, policy: { better: 'higher', stat: 'mean', relative: 0, absolute: 0.2 } },
  { pattern: /^(stall|recovery)_ms$/, policy: { better: 'lower', stat: 'p50', relative: 0.3, absolute: 300 } },
  { pattern: /(^|_)goodput_mbps$|(^|_)aggregation$/, policy: { better: 'higher', stat: 'p50', relative: 0.1, absolute: 0.2 } },
  { pattern: /_ms$/, policy: { better: 'lower', stat: 'p50', relative: 0.1, absolute: 3 } },
];

/** The policy for a metric name, or undefined when the lab does not know which way is better. */
export function noisePolicy(metric: string): NoisePolicy | undefined {
  return POLICIES.find((p) => p.pattern.test(metric))?.policy;
}

/** The smallest change of `baseline` that counts, in the metric's units. */
export function noiseFloor(policy: NoisePolicy, baseline: number): number {
  return Math.max(policy.relative * Math.abs(baseline), policy.absolute);
}
