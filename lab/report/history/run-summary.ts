// The compact summary of one run that the reports index loads: per system, workload and
// metric only the median, its 95 % interval, n (and the mean, for 0/1 outcomes), never
// the samples, so an index of hundreds of runs stays small. Read defensively: only the
// stable core of a summary (n, p50, ci95) is required; the mean and the repetition
// count are taken when present.
import { z } from 'zod';
import { metricInfoSchema, type Results } from '../results.ts';
import { conditionsHash, conditionsOf, conditionsSchema } from './conditions.ts';
import { MIN_REPS_FOR_INTERVAL } from '../../stats/summary.ts';

/** Five significant digits: far below any interval the lab reports, and a third of the JSON. */
export const compact = (value: number) => Number(value.toPrecision(5));

export const compactStatSchema = z.strictObject({
  n: z.number().int(),
  p50: z.number(),
  /** The 95 % interval of the median; null from a single repetition. */
  lo: z.number().nullable(),
  hi: z.number().nullable(),
  mean: z.number().nullable(),
  /** Repetitions the samples came from, when the summary says. */
  reps: z.number().int().optional(),
});

export const runSummarySchema = z.strictObject({
  scenarioName: z.string(),
  startedAt: z.string(),
  conditions: conditionsSchema,
  conditionsHash: z.string(),
  systems: z.array(z.string()),
  workloads: z.array(z.string()),
  metrics: z.record(z.string(), metricInfoSchema),
  /** stats[system][workload][metric] */
  stats: z.record(z.string(), z.record(z.string(), z.record(z.string(), compactStatSchema))),
});

export type CompactStat = z.infer<typeof compactStatSchema>;
export type RunSummary = z.infer<typeof runSummarySchema>;

const finiteOrNull = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? compact(v) : null);

function compactStat(summary: { n: number; p50: number; ci95: [number, number] | null }): CompactStat {
  const extra = summary as { mean?: unknown; reps?: unknown };
  // Results written before single repetitions lost their interval still carry one: not shown.
  const interval = typeof extra.reps === 'number' && extra.reps < MIN_REPS_FOR_INTERVAL ? null : summary.ci95;
  return {
    n: summary.n,
    p50: compact(summary.p50),
    lo: interval && compact(interval[0]),
    hi: interval && compact(interval[1]),
    mean: finiteOrNull(extra.mean),
    ...(typeof extra.reps === 'number' && Number.isInteger(extra.reps) && { reps: extra.reps }),
  };
}

type Table<T> = Partial<Record<string, Partial<Record<string, Record<string, T>>>>>;

/** The cells of a table keyed [system][workload][metric], flat. */
export function cells<T>(table: Table<T>): { system: string; workload: string; metric: string; value: T }[] {
  return Object.entries(table).flatMap(([system, workloads]) =>
    Object.entries(workloads ?? {}).flatMap(([workload, metrics]) => Object.entries(metrics ?? {}).map(([metric, value]) => ({ system, workload, metric, value }))),
  );
}

export function runSummaryOf(results: Results): RunSummary {
  const stats: RunSummary['stats'] = {};
  for (const { system, workload, metric, value } of cells(results.summary)) ((stats[system] ??= {})[workload] ??= {})[metric] = compactStat(value);
  const conditions = conditionsOf(results);
  return {
    scenarioName: results.scenario.name,
    startedAt: results.run.startedAt,
    conditions,
    conditionsHash: conditionsHash(conditions),
    systems: results.run.systems,
    workloads: results.run.workloads,
    metrics: results.metrics,
    stats,
  };
}
