// The one bootstrap of the lab: percentile 95 % intervals over samples clustered by
// repetition. Summaries (results.json, headline, report) and the gate all call this,
// so an interval means the same thing wherever it is printed.
import { quantile, sampleWithReplacement } from 'simple-statistics';
import { seededRandom } from './random.ts';

export const BOOTSTRAP_RESAMPLES = 2000;
/** Fixed seed: the same samples always give the same interval. */
export const BOOTSTRAP_SEED = 0x5eed;

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
