// Runs of one scenario in the order they started, cut into series: a new series starts
// whenever the conditions hash changes from the run before (a commit, the scenario, the
// kernel or the link backend), and the chart draws each as its own line segment. A
// run's own-series baseline is the latest earlier run with the same conditions.
import { conditionChanges, type Conditions } from './conditions.ts';

export interface SeriesMember {
  startedAt: string;
  runId: string;
  conditions: Conditions;
  conditionsHash: string;
}

export interface InSeries<T> {
  run: T;
  /** 0 for the first series of the scenario, +1 at every change of conditions. */
  segment: number;
  /** For the first run of a series after the first: what changed ("commit", "kernel"). */
  changes: string[];
  /** The latest earlier run measured under the same conditions, if any. */
  previous: T | undefined;
}

export function inSeries<T>(runs: readonly T[], member: (run: T) => SeriesMember): InSeries<T>[] {
  const ordered = runs.map((run) => ({ run, m: member(run) })).sort((a, b) => a.m.startedAt.localeCompare(b.m.startedAt) || a.m.runId.localeCompare(b.m.runId));
  const lastOf = new Map<string, T>();
  let segment = 0;
  return ordered.map(({ run, m }, i) => {
    const before = ordered[i - 1]?.m;
    const changed = before !== undefined && before.conditionsHash !== m.conditionsHash;
    if (changed) segment++;
    const previous = lastOf.get(m.conditionsHash);
    lastOf.set(m.conditionsHash, run);
    return { run, segment, changes: changed ? conditionChanges(before.conditions, m.conditions) : [], previous };
  });
}
