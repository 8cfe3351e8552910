// Summaries of one metric's samples: the numbers results.json, the CSV, the headline,
// the report and the gate all read. Defined once here; everything else derives from
// samples through it. Samples come grouped by repetition: the interval resamples
// repetitions, then samples within them (bootstrap.ts), since samples taken back to
// back in one repetition share its conditions and are not independent. From a single
// repetition there is no interval at all: what it would show is how samples taken back
// to back differ, not how the result would differ in another run.
import { bootstrapCi95, type Clustered } from './bootstrap.ts';
import { statistic, statisticOrNull } from './statistic.ts';

export interface Summary {
  /** Samples. */
  n: number;
  /** Repetitions the samples came from (the unit of the interval). */
  reps: number;
  /** Samples that are failed attempts entered at their timeout (included in every figure). */
  censored: number;
  p50: number;
  /** null below 20 samples. */
  p95: number | null;
  /** null below 100 samples. */
  p99: number | null;
  mean: number;
  /** Cluster-bootstrap 95 % percentile interval of the median; null from fewer than MIN_REPS_FOR_INTERVAL repetitions. */
  ci95: [number, number] | null;
}

/** Repetitions an interval needs: they, not the samples, are its unit. */
export const MIN_REPS_FOR_INTERVAL = 2;

/** The repetitions that have samples. */
export function repetitionsWithSamples(byRepetition: Clustered): number {
  return byRepetition.filter((c) => c.length > 0).length;
}

const median = ([values]: number[][]) => statistic('p50', values!);

/** The summary of samples grouped by repetition (one inner array per repetition); `censored` of them are censored. */
export function summarize(byRepetition: Clustered, censored = 0): Summary {
  const clusters = byRepetition.filter((c) => c.length > 0);
  const values = clusters.flat();
  if (values.length === 0) throw new Error('summarize: no samples');
  return {
    n: values.length,
    reps: clusters.length,
    censored,
    p50: statistic('p50', values),
    p95: statisticOrNull('p95', values),
    p99: statisticOrNull('p99', values),
    mean: statistic('mean', values),
    ci95: clusters.length >= MIN_REPS_FOR_INTERVAL ? bootstrapCi95([clusters], median) : null,
  };
}

/** Half the interval's width relative to the median: 0.1 means "median ± 10 %". Infinite for a zero median with any width; null without an interval. */
export function relativeHalfWidth(summary: Summary): number | null {
  if (summary.ci95 === null) return null;
  const halfWidth = (summary.ci95[1] - summary.ci95[0]) / 2;
  if (halfWidth === 0) return 0;
  return summary.p50 === 0 ? Number.POSITIVE_INFINITY : halfWidth / Math.abs(summary.p50);
}
