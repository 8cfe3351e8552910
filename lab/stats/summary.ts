// Summaries of one metric's samples: the numbers results.json, the CSV and the gate
// all read. Defined once here; everything else derives from samples through it.
import { mean, median, quantile, sampleWithReplacement } from 'simple-statistics';
import { seededRandom } from './random.ts';

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  /** Bootstrap 95 % percentile interval of the median. */
  ci95: [number, number];
}

export const BOOTSTRAP_RESAMPLES = 2000;
/** Fixed seed: the same samples always give the same interval. */
export const BOOTSTRAP_SEED = 0x5eed;

/** Percentile bootstrap interval of the median, seeded and deterministic. */
export function bootstrapMedianCi95(values: readonly number[], resamples = BOOTSTRAP_RESAMPLES, seed = BOOTSTRAP_SEED): [number, number] {
  if (values.length === 0) throw new Error('bootstrapMedianCi95: no samples');
  const random = seededRandom(seed);
  const data = [...values];
  const medians: number[] = [];
  for (let i = 0; i < resamples; i++) medians.push(median(sampleWithReplacement(data, data.length, random)));
  return [quantile(medians, 0.025), quantile(medians, 0.975)];
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('summarize: no samples');
  const data = [...values];
  const [p50, p95, p99] = quantile(data, [0.5, 0.95, 0.99]) as [number, number, number];
  return { n: data.length, p50, p95, p99, mean: mean(data), ci95: bootstrapMedianCi95(data) };
}
