// What the report and the gate read from one run, in the shape they need: samples
// looked up by system, workload and metric; summaries; timelines. Built from a parsed
// results.json (lab/report/results.ts owns the file's schema).
import type { LinkModel } from '../../links/model.ts';
import type { Summary } from '../../stats/summary.ts';

export interface SamplePoint {
  value: number;
  /** ms after the workload started, when the sample is tied to a moment. */
  atMs: number | null;
  repetition: number;
}

export interface TimelineView {
  name: string;
  repetition: number;
  binMs: number;
  values: number[];
  events: { kind: 'outage' | 'rate'; link: string; startMs: number; endMs: number | null }[];
}

export type SummaryTable = Record<string, Record<string, Record<string, Summary>>>;

export interface RunView {
  scenarioName: string;
  /** Systems and workloads the scenario asked for, in its order. */
  systems: string[];
  workloads: string[];
  links: { a: LinkModel; b: LinkModel };
  summary: SummaryTable;
  samples(system: string, workload: string, metric: string): SamplePoint[];
  timelines(system: string, workload: string): TimelineView[];
}

export function summaryOf(view: RunView, system: string, workload: string, metric: string): Summary | undefined {
  return view.summary[system]?.[workload]?.[metric];
}

/** Every metric key of a workload that some system has a summary for, in first-seen order. */
export function metricsOf(view: RunView, workload: string): string[] {
  const keys = new Set<string>();
  for (const system of view.systems) for (const key of Object.keys(view.summary[system]?.[workload] ?? {})) keys.add(key);
  return [...keys];
}
