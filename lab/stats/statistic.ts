// The statistics a summary holds and a gate rule can name, and how many samples each
// needs before it means anything: a 95th percentile of 2 samples is their maximum.
import { mean, quantile } from 'simple-statistics';

export const STATISTICS = ['p50', 'p95', 'p99', 'mean'] as const;
export type StatisticName = (typeof STATISTICS)[number];

/** Fewest samples a statistic is computed from (p95: one sample in 20 above it; p99: one in 100). */
export const MIN_SAMPLES: Record<StatisticName, number> = { p50: 1, mean: 1, p95: 20, p99: 100 };

export class TooFewSamplesError extends Error {
  override name = 'TooFewSamplesError';
  constructor(
    readonly statistic: StatisticName,
    readonly n: number,
  ) {
    super(`${statistic} needs at least ${MIN_SAMPLES[statistic]} samples, got ${n}`);
  }
}

export function hasEnoughSamples(name: StatisticName, n: number): boolean {
  return n >= MIN_SAMPLES[name];
}

/** The statistic of `values`; throws TooFewSamplesError below its minimum sample count. */
export function statistic(name: StatisticName, values: readonly number[]): number {
  if (values.length === 0 || !hasEnoughSamples(name, values.length)) throw new TooFewSamplesError(name, values.length);
  const data = [...values];
  switch (name) {
    case 'p50':
      return quantile(data, 0.5);
    case 'p95':
      return quantile(data, 0.95);
    case 'p99':
      return quantile(data, 0.99);
    case 'mean':
      return mean(data);
  }
}

/** The statistic, or null when there are too few samples for it. */
export function statisticOrNull(name: StatisticName, values: readonly number[]): number | null {
  return values.length > 0 && hasEnoughSamples(name, values.length) ? statistic(name, values) : null;
}
