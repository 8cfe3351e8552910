// Comparisons of two sets of samples: the statistics the gate decides with. A change
// is called real only from the samples (rank test + clustered bootstrap interval,
// bootstrap.ts), never from two summary numbers.
import { cumulativeStdNormalProbability, wilcoxonRankSum } from 'simple-statistics';

/**
 * One-sided Mann-Whitney U test (Wilcoxon rank sum), normal approximation with
 * continuity correction: the probability of a rank sum at least this extreme if `x`
 * and `y` came from one distribution, against the alternative that `x` tends to be
 * larger ('greater') or smaller ('less') than `y`. No tie correction: ties shrink the
 * variance, so leaving it out makes the test conservative, which a gate wants.
 */
export function mannWhitneyP(x: readonly number[], y: readonly number[], alternative: 'greater' | 'less'): number {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new Error('mannWhitneyP: a sample is empty');
  const u = wilcoxonRankSum(x, y) - (n1 * (n1 + 1)) / 2;
  return upperTailP(alternative === 'greater' ? u : n1 * n2 - u, n1, n2);
}

/** P(U >= u) under the null, normal approximation with continuity correction. */
function upperTailP(u: number, n1: number, n2: number): number {
  const meanU = (n1 * n2) / 2;
  const sdU = Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
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
