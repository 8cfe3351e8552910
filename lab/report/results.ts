// results.json: the one file a run leaves that everything else (CSV, HTML report, gate)
// is built from. Every sample is kept; summaries derive from samples (lab/stats) and
// are keyed summary[system][workload][metric]. The zod schema is the contract: it is
// checked when the file is written and when it is read.
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { engineRecordSchema } from '../engines/run-engine.ts';
import { SYSTEM_NAMES, WORKLOAD_NAMES, type Scenario } from '../scenario/schema.ts';
import { summarize, type Summary } from '../stats/summary.ts';
import type { BlockHealth, DirectionHealth } from '../run/health.ts';
import type { DirectionCounters, LinkCounters } from '../topology/types.ts';
import type { Evidence } from '../workloads/evidence.ts';
import type { MetricInfo } from '../workloads/metrics.ts';

/** 2: summaries carry reps and censored, p95/p99 may be null; blocks and the run protocol are recorded. */
export const RESULTS_SCHEMA_VERSION = 2;

const systemName = z.enum(SYSTEM_NAMES);
const workloadName = z.enum(WORKLOAD_NAMES);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const summarySchema = z.strictObject({
  n: z.number().int().min(1),
  reps: z.number().int().min(1),
  censored: z.number().int().min(0),
  p50: finite,
  p95: finite.nullable(),
  p99: finite.nullable(),
  mean: finite,
  ci95: z.tuple([finite, finite]).nullable(),
}) satisfies z.ZodType<Summary>;

export const metricInfoSchema = z.strictObject({
  key: z.string(),
  base: z.string(),
  /** The workloads that report it. */
  workloads: z.array(workloadName).optional(),
  /** Results written before a metric could belong to several workloads (success_ratio) name one. */
  workload: workloadName.optional(),
  unit: z.string(),
  better: z.enum(['lower', 'higher']),
  description: z.string(),
  direction: z.enum(['down', 'up']).optional(),
  flows: z.number().int().min(1).optional(),
  /** Failover metrics: the link that went down. */
  link: z.enum(['a', 'b']).optional(),
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
  /** Attempts made during the series (fresh connections of a failover window), ok or failed. */
  attempts: z.array(z.strictObject({ atMs: finite, ok: z.boolean() })).optional(),
});

const linkDeltaSchema = z.strictObject({ sentPackets: z.number(), sentBytes: z.number(), lossDrops: z.number(), queueDrops: z.number(), outageDrops: z.number() });
const counterSetSchema = z.record(z.string(), z.number());

/** What the kernel and the links did during one workload run (lab/workloads/evidence.ts). */
export const evidenceSchema = z.strictObject({
  /** nstat's Tcp, TcpExt and MPTcpExt counters that changed, per namespace. */
  counters: z.strictObject({ client: counterSetSchema, gwLocal: counterSetSchema, gwRemote: counterSetSchema, server: counterSetSchema }),
  /** The link emulators' counters, per link and direction. */
  links: z.strictObject({
    a: z.strictObject({ down: linkDeltaSchema, up: linkDeltaSchema }),
    b: z.strictObject({ down: linkDeltaSchema, up: linkDeltaSchema }),
  }),
}) satisfies z.ZodType<Evidence>;

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
  /** The lab's own failures during the run (a goodput beyond the links' capacity, links that would not get quiet). */
  labErrors: z.array(z.string()).default([]),
  /** Kernel and link counters over the workload; null when it failed (or for results written before they were kept). */
  evidence: evidenceSchema.nullable().default(null),
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
  arrivedBytes: z.number().optional(),
  backlogBytes: z.number().optional(),
  latenessP50Us: z.number().optional(),
  latenessP99Us: z.number().optional(),
  latenessMaxUs: z.number().optional(),
  appliedDelayMeanUs: z.number().optional(),
  appliedDelaySdUs: z.number().optional(),
  clampedPackets: z.number().optional(),
}) satisfies z.ZodType<DirectionCounters>;

const linkCountersSchema = z.strictObject({
  down: directionCountersSchema,
  up: directionCountersSchema,
  cpuSeconds: z.number().optional(),
  rtPriority: z.number().int().min(0).optional(),
}) satisfies z.ZodType<LinkCounters>;

const directionHealthSchema = z.strictObject({
  latenessP50Us: finite,
  latenessP99Us: finite,
  latenessMaxUs: finite,
  appliedDelayMeanUs: finite,
  appliedDelaySdUs: finite,
}) satisfies z.ZodType<DirectionHealth>;

const blockHealthSchema = z.strictObject({
  rtPriority: z.number().int().min(0),
  links: z.record(z.string(), z.strictObject({ up: directionHealthSchema, down: directionHealthSchema })),
  worstLatenessP99Us: finite,
  bad: z.boolean(),
}) satisfies z.ZodType<BlockHealth>;

/**
 * One block attempt: a system in its own fresh topology for one repetition (or the
 * warm-up). A block whose emulators ran late is run again once; the first attempt is
 * kept here (kept: false) and its samples are not in `samples`.
 */
export const blockRecordSchema = z.strictObject({
  phase: z.enum(['warmup', 'measure']),
  system: systemName,
  repetition: z.number().int().min(1),
  /** 0-based place in its repetition's (rotated) order. */
  position: z.number().int().min(0),
  attempt: z.number().int().min(1),
  /** Whether its samples are in the results (a warm-up's never are). */
  kept: z.boolean(),
  startedAt: z.iso.datetime(),
  durationMs: finite,
  /** Building the topology, starting the system and the probes. */
  setupMs: finite,
  /** Stopping them and tearing the topology down. */
  teardownMs: finite,
  workloads: z.array(
    z.strictObject({
      workload: workloadName,
      /** The wait for quiet links before it (see lab/topology/quiet.ts). */
      quietWaitMs: finite,
      quiet: z.boolean(),
      busy: z.string().optional(),
      /** Its own run, from handing the plan to the probe until its result. */
      durationMs: finite,
    }),
  ),
  /** Emulator lateness and priority during the block; null for netem (no figures). */
  health: blockHealthSchema.nullable(),
  /** MPTCP blackholes the kernel detected during the block, over all its namespaces; null if not read. */
  blackhole: z.strictObject({ events: z.number().int().min(0), disabledSyns: z.number().int().min(0) }).nullable(),
  /** The block's link counters, per link. */
  links: z.record(z.string(), linkCountersSchema),
  /** What makes the block's figures suspect: late emulators, a workload without a quiet link, blackholes. */
  flags: z.array(z.string()),
});

const impreciseSchema = z.strictObject({
  system: systemName,
  workload: workloadName,
  metric: z.string(),
  relativeHalfWidth: z.number(),
  n: z.number().int().min(1),
  reps: z.number().int().min(1),
});

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
    /** Repetitions made. */
    repeat: z.number().int().min(1),
    /** How their number was chosen, and why the run stopped there. */
    repeatPolicy: z.union([
      z.strictObject({ kind: z.literal('fixed'), repetitions: z.number().int().min(1) }),
      z.strictObject({ kind: z.literal('auto'), precision: z.number().positive(), budgetMs: z.number().positive() }),
    ]),
    stopReason: z.string(),
    warmup: z.number().int().min(0),
    systems: z.array(systemName),
    workloads: z.array(workloadName),
    /** The system order of each repetition (rotated by one each time). */
    order: z.array(z.array(systemName)),
    /** Headline metrics whose 95 % interval stayed wider than ±precision of the median. */
    precision: z.number().positive(),
    imprecise: z.array(impreciseSchema),
    /** Where the wall time went: inside workloads (measurement windows) vs set-up, quiet waits, teardown. */
    timing: z.strictObject({ wallMs: finite, inWorkloadsMs: finite, setupMs: finite, quietWaitMs: finite, teardownMs: finite }),
  }),
  environment: environmentSchema,
  metrics: z.record(z.string(), metricInfoSchema),
  runs: z.array(runRecordSchema),
  samples: z.array(sampleSchema),
  timelines: z.array(timelineSchema),
  blocks: z.array(blockRecordSchema),
  /** Link emulator counters summed over every block of the run (lateness: the worst block's), per link and direction. */
  links: z.record(z.string(), linkCountersSchema),
  summary: z.partialRecord(systemName, z.partialRecord(workloadName, z.record(z.string(), summarySchema))),
});

export type Results = z.infer<typeof resultsSchema>;
export type ResultSample = z.infer<typeof sampleSchema>;
export type RunRecord = z.infer<typeof runRecordSchema>;
export type Environment = z.infer<typeof environmentSchema>;
export type BlockRecord = z.infer<typeof blockRecordSchema>;
export type RunInfo = Results['run'];
export type SummaryTable = Results['summary'];

/** summary[system][workload][metric] from the samples, clustered by repetition: the only way summaries are made. */
export function summarizeSamples(samples: readonly ResultSample[]): SummaryTable {
  const groups = new Map<string, { sample: ResultSample; byRepetition: Map<number, number[]>; censored: number }>();
  for (const sample of samples) {
    const key = `${sample.system}\0${sample.workload}\0${sample.metric}`;
    const group = groups.get(key) ?? { sample, byRepetition: new Map<number, number[]>(), censored: 0 };
    const values = group.byRepetition.get(sample.repetition) ?? [];
    values.push(sample.value);
    group.byRepetition.set(sample.repetition, values);
    if (sample.censored) group.censored++;
    groups.set(key, group);
  }
  const table: SummaryTable = {};
  for (const { sample, byRepetition, censored } of groups.values()) {
    const bySystem = (table[sample.system] ??= {});
    const clusters = [...byRepetition].sort(([a], [b]) => a - b).map(([, values]) => values);
    (bySystem[sample.workload] ??= {})[sample.metric] = summarize(clusters, censored);
  }
  return table;
}

/** The metric definitions for every key that has samples. */
export function metricTable(infos: Iterable<MetricInfo>): Results['metrics'] {
  const table: Results['metrics'] = {};
  for (const info of infos) table[info.key] = { ...info, workloads: [...info.workloads] };
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
