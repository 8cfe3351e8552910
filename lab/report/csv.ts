// samples.csv and summary.csv: the same data as results.json, flat, for spreadsheets
// and scripts. Written with csv-stringify so quoting is never hand-rolled.
import { writeFile } from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';
import type { Results } from './results.ts';

export function samplesCsv(results: Results): string {
  return stringify(
    results.samples.map((s) => ({
      system: s.system,
      workload: s.workload,
      repetition: s.repetition,
      metric: s.metric,
      unit: results.metrics[s.metric]?.unit ?? '',
      value: s.value,
      at_ms: s.atMs ?? '',
      censored: String(s.censored),
    })),
    { header: true, columns: ['system', 'workload', 'repetition', 'metric', 'unit', 'value', 'at_ms', 'censored'] },
  );
}

export function summaryCsv(results: Results): string {
  const rows = Object.entries(results.summary).flatMap(([system, workloads]) =>
    Object.entries(workloads ?? {}).flatMap(([workload, metrics]) =>
      Object.entries(metrics).map(([metric, s]) => ({
        system,
        workload,
        metric,
        unit: results.metrics[metric]?.unit ?? '',
        better: results.metrics[metric]?.better ?? '',
        n: s.n,
        p50: s.p50,
        p95: s.p95,
        p99: s.p99,
        mean: s.mean,
        ci95_lo: s.ci95?.[0] ?? null,
        ci95_hi: s.ci95?.[1] ?? null,
      })),
    ),
  );
  return stringify(rows, {
    header: true,
    columns: ['system', 'workload', 'metric', 'unit', 'better', 'n', 'p50', 'p95', 'p99', 'mean', 'ci95_lo', 'ci95_hi'],
  });
}

export async function writeCsvFiles(runDir: string, results: Results): Promise<void> {
  await writeFile(`${runDir}/samples.csv`, samplesCsv(results));
  await writeFile(`${runDir}/summary.csv`, summaryCsv(results));
}
