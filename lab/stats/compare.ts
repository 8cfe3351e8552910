// Comparisons of two sets of samples: the statistics the gate decides with. A change
// is called real only from the samples (rank test + bootstrap interval), never from
// two summary numbers.
import { cumulativeStdNormalProbability, mean, quantile, sampleWithReplacement, wilcoxonRankSum } from 'simple-statistics';
import { seededRandom } from './random.ts';
import { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED } from './summary.ts';

/** The summary statistics a rule or a comparison can name (the keys of a results.json summary). */
export const STATISTICS = ['p50', 'p95', 'p99', 'mean'] as const;
export type StatisticName = (typeof STATISTICS)[number];

export function statistic(name: StatisticName, values: readonly number[]): number {
  if (values.length === 0) throw new Error(`statistic ${name}: no samples`);
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

/** Samples in clusters: one inner array per repetition of a run. */
export type Clustered = readonly (readonly number[])[];

/**
 * Percentile bootstrap 95 % interval of `estimate` over independent groups (different
 * runs or systems, not paired), each a set of clusters (repetitions). A resample draws
 * the clusters with replacement, then the samples within each drawn cluster: samples of
 * one repetition share its conditions (which subflow won, a retransmission timer), so
 * when repetitions disagree the interval widens instead of trusting the sample count.
 * One cluster per group is the ordinary bootstrap. Seeded: same samples, same interval.
 */
export function bootstrapCi95(
  groups: readonly Clustered[],
  estimate: (resampled: number[][]) => number,
  resamples = BOOTSTRAP_RESAMPLES,
  seed = BOOTSTRAP_SEED,
): [number, number] {
  const data = groups.map((clusters) => clusters.filter((c) => c.length > 0).map((c) => [...c]));
  if (data.some((clusters) => clusters.length === 0)) throw new Error('bootstrapCi95: a group has no samples');
  const random = seededRandom(seed);
  const resampleGroup = (clusters: number[][]) =>
    sampleWithReplacement(clusters, clusters.length, random).flatMap((c) => sampleWithReplacement(c, c.length, random));
  const estimates: number[] = [];
  for (let i = 0; i < resamples; i++) estimates.push(estimate(data.map(resampleGroup)));
  return [quantile(estimates, 0.025), quantile(estimates, 0.975)];
}

/**
 * One-sided Mann-Whitney U test (Wilcoxon rank sum), normal approximation with
 * continuity correction: the probability of a rank sum at least this extreme if `x`
 * and `y` came from one distribution, against the alternative that `x` tends to be
 * larger ('greater') or smaller ('less') than `y`. Ties get mid-ranks and the variance
 * their correction: without it a 0/1 outcome (a success ratio: nearly all ties) could
 * never reach p < 0.01, one failure in five over 60 attempts included.
 */
export function mannWhitneyP(x: readonly number[], y: readonly number[], alternative: 'greater' | 'less'): number {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new Error('mannWhitneyP: a sample is empty');
  const u = wilcoxonRankSum(x, y) - (n1 * (n1 + 1)) / 2;
  return upperTailP(alternative === 'greater' ? u : n1 * n2 - u, n1, n2, tieTerm([...x, ...y]));
}

/** Σ (t³ - t) over the groups of tied values. */
function tieTerm(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let sum = 0;
  for (const t of counts.values()) sum += t ** 3 - t;
  return sum;
}

/** P(U >= u) under the null, normal approximation with continuity correction and tie correction. */
function upperTailP(u: number, n1: number, n2: number, ties = 0): number {
  const n = n1 + n2;
  const meanU = (n1 * n2) / 2;
  const sdU = Math.sqrt(((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1))));
  return 1 - cumulativeStdNormalProbability((u - meanU - 0.5) / sdU);
}

/**
 * The smallest one-sided p-value `mannWhitneyP` can give for these sample sizes (every
 * sample of one group beyond every sample of the other). When it is not below alpha,
 * no change can be called real with so few samples, however large.
 */
export function mannWhitneyMinP(n1: number, n2: number): number {
  return upperTailP(n1 * n2, n1, n2);
}
