// Gathers what the workloads measured during a run, tagged with system, workload and
// repetition, and the record of every block, and assembles results.json from it
// (summaries derived from the samples).
import { metricTable, summarizeSamples, type BlockRecord, type Results, type ResultSample, type RunRecord, type SummaryTable } from '../report/results.ts';
import type { Scenario, SystemNameInScenario, WorkloadName } from '../scenario/schema.ts';
import type { MetricInfo } from '../workloads/metrics.ts';
import type { Evidence } from '../workloads/evidence.ts';
import type { WorkloadRun } from '../workloads/workload.ts';

export interface RunKey {
  system: SystemNameInScenario;
  workload: WorkloadName;
  repetition: number;
}

export class Collector {
  private readonly samples: ResultSample[] = [];
  private readonly timelines: Results['timelines'] = [];
  private readonly runs: RunRecord[] = [];
  private readonly blocks: BlockRecord[] = [];
  private readonly metrics = new Map<string, MetricInfo>();

  ok(key: RunKey, startedAt: Date, run: WorkloadRun & { evidence: Evidence }): void {
    this.runs.push({
      ...key,
      status: 'ok',
      error: null,
      errors: run.errors,
      labErrors: run.labErrors,
      evidence: run.evidence,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      probeCpu: run.probeCpu,
    });
    for (const sample of run.samples) {
      this.metrics.set(sample.metric.key, sample.metric);
      this.samples.push({ ...key, metric: sample.metric.key, value: sample.value, atMs: sample.atMs, censored: sample.censored ?? false });
    }
    for (const timeline of run.timelines) this.timelines.push({ ...key, ...timeline });
  }

  failed(key: RunKey, startedAt: Date, error: string): void {
    this.runs.push({ ...key, status: 'failed', error, errors: [], labErrors: [], evidence: null, startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), probeCpu: null });
  }

  /** A problem after the block's workloads (the system did not stop cleanly), noted on its last run. */
  note(system: SystemNameInScenario, repetition: number, problem: string): void {
    const last = this.runs.filter((r) => r.system === system && r.repetition === repetition).at(-1);
    last?.errors.push(problem);
  }

  /** Forgets what one block measured (it is run again: its emulators ran late). */
  discard(system: SystemNameInScenario, repetition: number): void {
    const other = (r: RunKey) => r.system !== system || r.repetition !== repetition;
    for (const list of [this.samples, this.timelines, this.runs] as RunKey[][]) {
      const keep = list.filter(other);
      list.splice(0, list.length, ...keep);
    }
  }

  block(record: BlockRecord): void {
    this.blocks.push(record);
  }

  blockRecords(): readonly BlockRecord[] {
    return this.blocks;
  }

  runRecords(): readonly RunRecord[] {
    return this.runs;
  }

  /** Summaries so far of the metrics `wanted` selects (for deciding on another repetition). */
  summary(wanted: (metric: string) => boolean): SummaryTable {
    return summarizeSamples(this.samples.filter((s) => wanted(s.metric)));
  }

  metricTable(): Results['metrics'] {
    return metricTable(this.metrics.values());
  }

  results(scenario: Scenario, run: Results['run'], environment: Results['environment'], links: Results['links']): Results {
    return {
      schemaVersion: 2,
      scenario,
      run,
      environment,
      metrics: this.metricTable(),
      runs: this.runs,
      samples: this.samples,
      timelines: this.timelines,
      blocks: this.blocks,
      links,
      summary: summarizeSamples(this.samples),
    };
  }
}
