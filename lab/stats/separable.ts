// Which system is best on a metric, claimed only when it can be told apart: the best
// median counts as best only when its 95 % interval does not overlap the runner-up's.
// Otherwise the systems whose intervals overlap the best one's are "not separable".
// A single repetition has no interval (summary.ts), so a column where any system has
// only one claims nothing. One rule for the terminal headline and the report's.
import type { Better } from '../workloads/metrics.ts';

export interface Estimate {
  value: number;
  /** null: from a single repetition. */
  ci95: readonly [number, number] | null;
}

type WithInterval = { value: number; ci95: readonly [number, number] };

export type BestVerdict =
  /** `index` is best, separable from every other. */
  | { kind: 'best'; index: number }
  /** The best median's interval overlaps these (the best first): no best is claimed. */
  | { kind: 'not-separable'; indices: number[] }
  /** Fewer than two estimates, or one without an interval: nothing is claimed. */
  | { kind: 'none' };

const overlaps = (a: WithInterval, b: WithInterval) => a.ci95[0] <= b.ci95[1] && b.ci95[0] <= a.ci95[1];

export function bestOf(estimates: readonly (Estimate | null | undefined)[], better: Better): BestVerdict {
  const present = estimates.flatMap((e, index) => (e ? [{ e, index }] : []));
  if (present.length < 2) return { kind: 'none' };
  const withIntervals = present.filter((p): p is { e: WithInterval; index: number } => p.e.ci95 !== null);
  if (withIntervals.length < present.length) return { kind: 'none' };
  const sign = better === 'lower' ? 1 : -1;
  const ranked = [...withIntervals].sort((x, y) => sign * (x.e.value - y.e.value));
  const best = ranked[0]!;
  const tied = ranked.filter((r) => r === best || overlaps(r.e, best.e));
  return tied.length === 1 ? { kind: 'best', index: best.index } : { kind: 'not-separable', indices: tied.map((r) => r.index) };
}
