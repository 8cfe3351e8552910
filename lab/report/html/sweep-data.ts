// What a sweep's report draws, from its cells' results (nothing measured anew): for each
// headline metric and each swept field, charts with that field's values on the x axis
// and one line per system (median, with its 95 % interval as a band), one chart per
// combination of the other fields' values; and a table of every cell.
import { headlineColumns, type HeadlineColumn } from '../headline-columns.ts';
import type { Results } from '../results.ts';

export interface SweepSetting {
  path: string;
  value: string;
}

export interface SweepCellResult {
  id: string;
  settings: SweepSetting[];
  status: 'done' | 'failed' | 'pending';
  /** Why its last attempt failed. */
  error: string | null;
  /** Engine of its last attempt. */
  engine: string | null;
  /** Its run report, relative to the sweep directory. */
  href: string | null;
  results: Results | null;
}

export interface SweepInput {
  scenarioName: string;
  axes: { path: string; values: string[] }[];
  cells: SweepCellResult[];
}

/** One cell's figure for one system: median (or share) and interval, null where it has none. */
export interface SweepValue {
  cell: string;
  value: number | null;
  lo: number | null;
  hi: number | null;
  n: number;
}

export interface SweepChart {
  id: string;
  /** The swept field on the x axis, and its values (in the order given). */
  axis: string;
  labels: string[];
  /** The other fields' values this chart holds fixed. */
  fixed: SweepSetting[];
  series: { system: string; values: SweepValue[] }[];
}

export interface SweepMetric {
  key: string;
  column: HeadlineColumn;
  unit: string;
  better: 'lower' | 'higher';
  charts: SweepChart[];
  /** Per cell (in cell order), per system. */
  table: { cell: SweepCellResult; values: (SweepValue | null)[] }[];
}

export interface SweepData {
  systems: string[];
  metrics: SweepMetric[];
}

function valueOf(cell: SweepCellResult, system: string, column: HeadlineColumn): SweepValue | null {
  const summary = cell.results?.summary[system as keyof Results['summary']]?.[column.workload]?.[column.metric];
  if (!summary) return null;
  return column.share
    ? { cell: cell.id, value: summary.mean, lo: null, hi: null, n: summary.n }
    : { cell: cell.id, value: summary.p50, lo: summary.ci95?.[0] ?? null, hi: summary.ci95?.[1] ?? null, n: summary.n };
}

/** Every combination of one value of each axis in `axes`. */
function combinations(axes: SweepInput['axes']): SweepSetting[][] {
  let all: SweepSetting[][] = [[]];
  for (const axis of axes) all = all.flatMap((fixed) => axis.values.map((value) => [...fixed, { path: axis.path, value }]));
  return all;
}

function cellWith(cells: readonly SweepCellResult[], settings: readonly SweepSetting[]): SweepCellResult | undefined {
  return cells.find((cell) => settings.every((s) => cell.settings.some((c) => c.path === s.path && c.value === s.value)));
}

export function sweepData(input: SweepInput): SweepData {
  const finished = input.cells.flatMap((c) => (c.results ? [c.results] : []));
  const systems = [...new Set(finished.flatMap((r) => r.run.systems))];
  const metricInfo: Results['metrics'] = Object.assign({}, ...finished.map((r) => r.metrics));
  const columns = headlineColumns(metricInfo).filter((column) => input.cells.some((cell) => systems.some((system) => valueOf(cell, system, column))));
  const metrics = columns.map((column): SweepMetric => {
    const key = `${column.workload}.${column.metric}`;
    const charts = input.axes.flatMap((axis, a) =>
      combinations(input.axes.filter((other) => other.path !== axis.path)).map((fixed, f): SweepChart => ({
        id: `chart-${key.replace(/[^a-z0-9]+/gi, '-')}-${a}-${f}`,
        axis: axis.path,
        labels: axis.values,
        fixed,
        series: systems.map((system) => ({
          system,
          values: axis.values.map((value) => {
            const cell = cellWith(input.cells, [...fixed, { path: axis.path, value }]);
            return (cell && valueOf(cell, system, column)) ?? { cell: cell?.id ?? '', value: null, lo: null, hi: null, n: 0 };
          }),
        })),
      })),
    );
    return {
      key,
      column,
      unit: metricInfo[column.metric]?.unit ?? '',
      better: metricInfo[column.metric]?.better ?? 'lower',
      charts,
      table: input.cells.map((cell) => ({ cell, values: systems.map((system) => valueOf(cell, system, column)) })),
    };
  });
  return { systems, metrics };
}
