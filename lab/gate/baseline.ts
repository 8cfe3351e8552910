// Compare a run with a baseline run, metric by metric, on the samples. A regression is
// called only when both hold: a one-sided Mann-Whitney test says the run is worse
// (p < alpha), and the whole bootstrap 95 % interval of the change (clustered by
// repetition) lies beyond the metric's noise floor. Either alone is not enough: with
// many samples a test finds tiny real changes, and samples of one repetition are not
// independent (a whole repetition can run slow), which the clustered interval accounts
// for and the rank test does not.
import { bootstrapCi95, type Clustered } from '../stats/bootstrap.ts';
import { mannWhitneyMinP, mannWhitneyP } from '../stats/compare.ts';
import { statistic } from '../stats/statistic.ts';
import { MIN_REPS_FOR_INTERVAL, repetitionsWithSamples } from '../stats/summary.ts';
import { noiseFloor, noisePolicy, type NoisePolicy } from './noise.ts';
import type { MetricKey, RunView } from '../report/html/run-view.ts';

export const REGRESSION_ALPHA = 0.01;

/** 'one-repetition': a side's samples all come from one repetition, which has no interval (stats/summary.ts). */
export type ComparisonVerdict = 'regression' | 'improvement' | 'within-noise' | 'unchanged' | 'too-few-samples' | 'one-repetition';

export interface MetricComparison {
  key: MetricKey;
  unit: string;
  policy: NoisePolicy;
  /** reps: the repetitions the samples came from. */
  baseline: { value: number; n: number; reps: number };
  now: { value: number; n: number; reps: number };
  /**
   * now - baseline of the policy's statistic, and its 95 % interval: computed only when
   * the rank test finds a change either way (null otherwise: no interval could make
   * the verdict anything but "no change", and 2000 resamples per metric add up).
   */
  change: number;
  changeCi95: [number, number] | null;
  /** One-sided p-value of "now is worse than baseline". */
  pWorse: number;
  /** One-sided p-value of "now is better than baseline". */
  pBetter: number;
  floor: number;
  verdict: ComparisonVerdict;
}

/**
 * A system x workload the baseline has samples of and the run, although it ran it, has
 * none of, for any metric: it failed in every repetition. (One metric without samples
 * is an outcome, e.g. goodput that never recovered in time, and is only reported.)
 */
export interface MissingWorkload {
  system: string;
  workload: string;
  baselineN: number;
  /** Why the run's repetitions failed, as recorded. */
  errors: string[];
}

export interface SkippedMetric {
  key: MetricKey;
  /** 'no-samples': the run ran it and has none of this metric (undecided: `--strict` fails it). */
  kind: 'no-policy' | 'not-run' | 'no-samples';
  reason: string;
}

export interface BaselineComparison {
  comparisons: MetricComparison[];
  missing: MissingWorkload[];
  /** Metrics not compared, and why (not run now, no samples now, unknown direction). */
  skipped: SkippedMetric[];
}

function verdictOf(c: Omit<MetricComparison, 'verdict'>): ComparisonVerdict {
  if (Math.min(c.now.reps, c.baseline.reps) < MIN_REPS_FOR_INTERVAL) return 'one-repetition';
  if (mannWhitneyMinP(c.now.n, c.baseline.n) >= REGRESSION_ALPHA) return 'too-few-samples';
  if (c.changeCi95 === null) return 'unchanged';
  // Express the interval as "how much worse": positive is worse for either direction.
  const [lo, hi] = c.policy.better === 'lower' ? c.changeCi95 : [-c.changeCi95[1], -c.changeCi95[0]];
  if (c.pWorse < REGRESSION_ALPHA && lo > c.floor) return 'regression';
  if (c.pBetter < REGRESSION_ALPHA && hi < -c.floor) return 'improvement';
  if ((c.pWorse < REGRESSION_ALPHA && lo > 0) || (c.pBetter < REGRESSION_ALPHA && hi < 0)) return 'within-noise';
  return 'unchanged';
}

/** `now` and `baseline` are the samples by repetition (clusters). */
export function compareMetric(key: MetricKey, unit: string, policy: NoisePolicy, nowByRepetition: Clustered, baselineByRepetition: Clustered): MetricComparison {
  const now = nowByRepetition.flat();
  const baseline = baselineByRepetition.flat();
  const stat = (values: readonly number[]) => statistic(policy.stat, values);
  const baseValue = stat(baseline);
  const nowValue = stat(now);
  const pWorse = mannWhitneyP(now, baseline, policy.better === 'lower' ? 'greater' : 'less');
  const pBetter = mannWhitneyP(now, baseline, policy.better === 'lower' ? 'less' : 'greater');
  const sides = {
    baseline: { value: baseValue, n: baseline.length, reps: repetitionsWithSamples(baselineByRepetition) },
    now: { value: nowValue, n: now.length, reps: repetitionsWithSamples(nowByRepetition) },
  };
  const judgeable = Math.min(sides.now.reps, sides.baseline.reps) >= MIN_REPS_FOR_INTERVAL;
  const changed = judgeable && (pWorse < REGRESSION_ALPHA || pBetter < REGRESSION_ALPHA);
  const partial = {
    key,
    unit,
    policy,
    ...sides,
    change: nowValue - baseValue,
    changeCi95: changed ? bootstrapCi95([nowByRepetition, baselineByRepetition], ([n, b]) => stat(n!) - stat(b!)) : null,
    pWorse,
    pBetter,
    floor: noiseFloor(policy, baseValue),
  };
  return { ...partial, verdict: verdictOf(partial) };
}

export function compareWithBaseline(now: RunView, baseline: RunView): BaselineComparison {
  const result: BaselineComparison = { comparisons: [], missing: [], skipped: [] };
  for (const key of baseline.keys()) {
    const baseValues = baseline.values(key);
    const info = baseline.metric(key.metric);
    const policy = info && noisePolicy(info);
    if (!info || !policy) {
      result.skipped.push({ key, kind: 'no-policy', reason: 'no noise floor for this metric (lab/gate/noise.ts)' });
      continue;
    }
    if (!now.ran(key)) {
      result.skipped.push({ key, kind: 'not-run', reason: `${now.label} did not run ${key.system} × ${key.workload}` });
      continue;
    }
    const nowValues = now.values(key);
    if (nowValues.length > 0) {
      result.comparisons.push(compareMetric(key, info.unit, policy, now.valuesByRepetition(key), baseline.valuesByRepetition(key)));
      continue;
    }
    if (now.keys().some((k) => k.system === key.system && k.workload === key.workload)) {
      result.skipped.push({ key, kind: 'no-samples', reason: `no samples in this run (baseline: ${baseValues.length})` });
      continue;
    }
    const missing = result.missing.find((m) => m.system === key.system && m.workload === key.workload);
    if (missing) missing.baselineN = Math.max(missing.baselineN, baseValues.length);
    else {
      const errors = now.results.runs.filter((r) => r.system === key.system && r.workload === key.workload && r.error !== null).map((r) => `repetition ${r.repetition}: ${r.error}`);
      result.missing.push({ system: key.system, workload: key.workload, baselineN: baseValues.length, errors });
    }
  }
  return result;
}
