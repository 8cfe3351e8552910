// Comparisons of two sets of samples: the statistics the gate decides with. A change
// is called real only from the samples (rank test + clustered bootstrap interval,
// bootstrap.ts), never from two summary numbers.
import { cumulativeStdNormalProbability, wilcoxonRankSum } from 'simple-statistics';

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

/** The fewest samples per side (equal sides) with which `mannWhitneyMinP` gets below alpha. */
export function samplesNeeded(alpha: number): number {
  let n = 1;
  while (mannWhitneyMinP(n, n) >= alpha) n++;
  return n;
}
