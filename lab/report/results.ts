// results.json: the one file a run leaves that everything else (CSV, HTML report, gate)
// is built from. Every sample is kept; summaries derive from samples (lab/stats) and
// are keyed summary[system][workload][metric]. The zod schema is the contract: it is
// checked when the file is written and when it is read.
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { engineRecordSchema } from '../engines/run-engine.ts';
import { SYSTEM_NAMES, WORKLOAD_NAMES, type Scenario } from '../scenario/schema.ts';
import { summarize, type Summary } from '../stats/summary.ts';
import type { DirectionCounters } from '../topology/types.ts';
import type { MetricInfo } from '../workloads/metrics.ts';

export const RESULTS_SCHEMA_VERSION = 1;

const systemName = z.enum(SYSTEM_NAMES);
const workloadName = z.enum(WORKLOAD_NAMES);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const summarySchema = z.strictObject({
  n: z.number().int().min(1),
  p50: finite,
  p95: finite,
  p99: finite,
  mean: finite,
  ci95: z.tuple([finite, finite]),
}) satisfies z.ZodType<Summary>;

export const metricInfoSchema = z.strictObject({
  key: z.string(),
  base: z.string(),
  workload: workloadName,
  unit: z.string(),
  better: z.enum(['lower', 'higher']),
  description: z.string(),
  direction: z.enum(['down', 'up']).optional(),
  flows: z.number().int().min(1).optional(),
});

export const sampleSchema = z.strictObject({
  system: systemName,
  workload: workloadName,
  /** 1-based repetition. */
  repetition: z.number().int().min(1),
  metric: z.string(),
  value: finite,
  /** ms after the workload started; null when the sample is not tied to a moment. */
  atMs: finite.nullable(),
  /** A failed or timed-out attempt, entered at the bound it was censored at (its timeout). */
  censored: z.boolean().default(false),
});

export const timelineSchema = z.strictObject({
  system: systemName,
  workload: workloadName,
  repetition: z.number().int().min(1),
  name: z.string(),
  binMs: z.number().positive(),
  values: z.array(finite),
  events: z.array(
    z.strictObject({ kind: z.enum(['outage', 'rate']), link: z.string(), startMs: finite, endMs: finite.nullable() }),
  ),
});

/** One workload run of one system in one repetition: whether it worked, and what went wrong. */
export const runRecordSchema = z.strictObject({
  system: systemName,
  workload: workloadName,
  repetition: z.number().int().min(1),
  status: z.enum(['ok', 'failed']),
  /** Why the run failed (the system did not start, the probe timed out...). */
  error: z.string().nullable(),
  /** Problems that did not spoil the run (one connection timed out). */
  errors: z.array(z.string()),
  startedAt: z.iso.datetime(),
  durationMs: finite,
  /** CPU time / wall time of each probe while measuring (1 = one core): they must not be the bottleneck. */
  probeCpu: z.strictObject({ client: finite, server: finite }).nullable(),
});

const directionCountersSchema = z.strictObject({
  sentPackets: z.number(),
  sentBytes: z.number(),
  lossDrops: z.number(),
  queueDrops: z.number(),
  outageDrops: z.number(),
  latenessP99Us: z.number().optional(),
  latenessMaxUs: z.number().optional(),
}) satisfies z.ZodType<DirectionCounters>;

export const environmentSchema = z.strictObject({
  hostname: z.string(),
  kernel: z.string(),
  cpus: z.strictObject({ count: z.number().int(), model: z.string() }),
  node: z.string(),
  congestionControl: z.string(),
  /** sysctl values that shape TCP and MPTCP, per namespace role. */
  sysctls: z.record(z.string(), z.record(z.string(), z.string())),
  linkBackend: z.string(),
  /** Version of every program the run used (Debian packages, node, this package). */
  programs: z.record(z.string(), z.string()),
  git: z.strictObject({ revision: z.string(), dirty: z.boolean() }),
  /** Where the run executed: local namespaces, or a container (engine, image, privileges). Absent in older runs. */
  engine: engineRecordSchema.optional(),
});

export const resultsSchema = z.strictObject({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  /** The scenario as parsed (model units: bits/s, ms, bytes, probabilities). */
  scenario: z.custom<Scenario>((v) => typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string', 'a parsed scenario'),
  run: z.strictObject({
    id: z.string(),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    quick: z.boolean(),
    repeat: z.number().int().min(1),
    warmup: z.number().int().min(0),
    systems: z.array(systemName),
    workloads: z.array(workloadName),
  }),
  environment: environmentSchema,
  metrics: z.record(z.string(), metricInfoSchema),
  runs: z.array(runRecordSchema),
  samples: z.array(sampleSchema),
  timelines: z.array(timelineSchema),
  /** Link emulator counters at the end of the run, per link and direction. */
  links: z.record(z.string(), z.strictObject({ down: directionCountersSchema, up: directionCountersSchema, cpuSeconds: z.number().optional() })),
  summary: z.partialRecord(systemName, z.partialRecord(workloadName, z.record(z.string(), summarySchema))),
});

export type Results = z.infer<typeof resultsSchema>;
export type ResultSample = z.infer<typeof sampleSchema>;
export type RunRecord = z.infer<typeof runRecordSchema>;
export type Environment = z.infer<typeof environmentSchema>;
export type SummaryTable = Results['summary'];

/** summary[system][workload][metric] from the samples: the only way summaries are made. */
export function summarizeSamples(samples: readonly ResultSample[]): SummaryTable {
  const groups = new Map<string, { sample: ResultSample; values: number[] }>();
  for (const sample of samples) {
    const key = `${sample.system}\0${sample.workload}\0${sample.metric}`;
    const group = groups.get(key) ?? { sample, values: [] };
    group.values.push(sample.value);
    groups.set(key, group);
  }
  const table: SummaryTable = {};
  for (const { sample, values } of groups.values()) {
    const bySystem = (table[sample.system] ??= {});
    (bySystem[sample.workload] ??= {})[sample.metric] = summarize(values);
  }
  return table;
}

/** The metric definitions for every key that has samples. */
export function metricTable(infos: Iterable<MetricInfo>): Results['metrics'] {
  const table: Results['metrics'] = {};
  for (const info of infos) table[info.key] = { ...info };
  return table;
}

export async function writeResults(file: string, results: Results): Promise<void> {
  const checked = resultsSchema.parse(results);
  await writeFile(file, `${JSON.stringify(checked, null, 2)}\n`);
}

/** Reads and validates a results.json; the error names the file and the first problems. */
export async function readResults(file: string): Promise<Results> {
  const parsed = resultsSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
  throw new Error(`${file} is not a valid results file:\n  ${problems.join('\n  ')}`);
}
