// history.csv (`mplab report --history DIR`): what the reports index draws, flat, for
// people who plot elsewhere. One row per run, system, workload and metric: the median
// with its 95 % interval and n, the run's date, commit and series, and the gate's mark
// on that point against the run's baseline. Written with csv-stringify.
import { stringify } from 'csv-stringify/sync';
import type { History, HistoryRun } from './collect.ts';
import { cells } from './run-summary.ts';
import { baselineText } from './run-verdict.ts';

const COLUMNS = [
  'scenario', 'run', 'started_at', 'commit', 'dirty', 'series', 'conditions_hash', 'system', 'workload', 'metric', 'unit', 'better',
  'n', 'reps', 'p50', 'ci95_lo', 'ci95_hi', 'mean', 'gate_mark', 'baseline', 'run_gate_exit_code',
] as const;

function rows(scenario: string, run: HistoryRun): Record<(typeof COLUMNS)[number], string | number | boolean>[] {
  const { summary, verdict } = run;
  return cells(summary.stats).map(({ system, workload, metric, value: s }) => ({
    scenario,
    run: run.runId,
    started_at: summary.startedAt,
    commit: summary.conditions.revision,
    dirty: summary.conditions.dirty,
    series: run.segment + 1,
    conditions_hash: summary.conditionsHash.slice(0, 12),
    system,
    workload,
    metric,
    unit: summary.metrics[metric]?.unit ?? '',
    better: summary.metrics[metric]?.better ?? '',
    n: s.n,
    reps: s.reps ?? '',
    p50: s.p50,
    ci95_lo: s.lo ?? '',
    ci95_hi: s.hi ?? '',
    mean: s.mean ?? '',
    gate_mark: verdict.points[system]?.[workload]?.[metric]?.mark ?? '',
    baseline: baselineText(verdict.baseline),
    run_gate_exit_code: verdict.exitCode,
  }));
}

export function historyCsv(history: History): string {
  const all = history.scenarios.flatMap((s) => s.runs.flatMap((run) => rows(s.name, run)));
  return stringify(all, { header: true, columns: [...COLUMNS], cast: { boolean: (v) => String(v) } });
}
