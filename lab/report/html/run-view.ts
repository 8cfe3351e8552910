// What the report and the gate read from one run's results.json, indexed: samples by
// system, workload and metric; summaries; timelines; metric definitions. The file's
// schema is lab/report/results.ts; nothing here re-measures or re-summarises.
import type { LinkModel } from '../../links/model.ts';
import type { Summary } from '../../stats/summary.ts';
import type { Results, ResultSample } from '../results.ts';

export type MetricInfo = Results['metrics'][string];
export type TimelineRecord = Results['timelines'][number];

export interface MetricKey {
  system: string;
  workload: string;
  metric: string;
}

export interface RunView {
  results: Results;
  /** How the run is named in messages (its directory or file). */
  label: string;
  scenarioName: string;
  /** Systems and workloads the run set out to measure, in the scenario's order. */
  systems: string[];
  workloads: string[];
  links: { a: LinkModel; b: LinkModel };
  metric(key: string): MetricInfo | undefined;
  summary(key: MetricKey): Summary | undefined;
  /** Metric keys of a workload that some system has a summary for. */
  metricsOf(workload: string): string[];
  /** Every (system, workload, metric) with samples. */
  keys(): MetricKey[];
  samples(key: MetricKey): ResultSample[];
  values(key: MetricKey): number[];
  /** The values by repetition (one array per repetition that has samples), for a clustered bootstrap. */
  valuesByRepetition(key: MetricKey): number[][];
  timelines(system: string, workload: string): TimelineRecord[];
  /** Whether the run included this system and workload (else "no samples" means "not run", not "failed"). */
  ran(key: { system: string; workload: string }): boolean;
}

const id = (k: MetricKey) => `${k.system}\0${k.workload}\0${k.metric}`;

export function runView(results: Results, label: string): RunView {
  const bySeries = new Map<string, { key: MetricKey; samples: ResultSample[] }>();
  for (const s of results.samples) {
    const key = { system: s.system, workload: s.workload, metric: s.metric };
    const entry = bySeries.get(id(key)) ?? { key, samples: [] };
    entry.samples.push(s);
    bySeries.set(id(key), entry);
  }
  const summaryTable = results.summary as Record<string, Record<string, Record<string, Summary> | undefined> | undefined>;
  return {
    results,
    label,
    scenarioName: results.scenario.name,
    systems: results.run.systems,
    workloads: results.run.workloads,
    links: results.scenario.links,
    metric: (key) => results.metrics[key],
    summary: (k) => summaryTable[k.system]?.[k.workload]?.[k.metric],
    metricsOf(workload) {
      const keys = new Set<string>();
      for (const system of results.run.systems) for (const key of Object.keys(summaryTable[system]?.[workload] ?? {})) keys.add(key);
      return [...keys];
    },
    keys: () => [...bySeries.values()].map((e) => e.key),
    samples: (k) => bySeries.get(id(k))?.samples ?? [],
    values: (k) => (bySeries.get(id(k))?.samples ?? []).map((s) => s.value),
    valuesByRepetition(k) {
      const byRepetition = new Map<number, number[]>();
      for (const s of bySeries.get(id(k))?.samples ?? []) byRepetition.set(s.repetition, [...(byRepetition.get(s.repetition) ?? []), s.value]);
      return [...byRepetition.values()];
    },
    timelines: (system, workload) => results.timelines.filter((t) => t.system === system && t.workload === workload),
    ran: (k) => (results.run.systems as string[]).includes(k.system) && (results.run.workloads as string[]).includes(k.workload),
  };
}
