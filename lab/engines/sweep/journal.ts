// sweep.json: what a sweep is (the scenario text it started from, its axes and cells,
// the options every cell's run gets) and everything that happened to it: each
// invocation (start, resumes) and each attempt at a cell, on which engine, when, with
// which outcome. Append-only history; a cell is done when its run directory has a
// results.json (the run directory is moved into place whole). Written atomically after
// every change, so an interrupted sweep leaves a true record.
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SYSTEM_NAMES, WORKLOAD_NAMES } from '../../scenario/schema.ts';
import { PRIVILEGES } from '../privileges.ts';

export const SWEEP_FILE = 'sweep.json';
const SWEEP_SCHEMA_VERSION = 1;

const settingSchema = z.strictObject({ path: z.string(), value: z.string() });

const attemptSchema = z.strictObject({
  cell: z.string(),
  engine: z.string(),
  /** Which invocation (0: the start, then each resume) made it. */
  invocation: z.number().int().min(0),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  status: z.enum(['running', 'ok', 'failed', 'interrupted']),
  error: z.string().nullable(),
  image: z.string().nullable(),
  /** The engine's record of the container: its id, the privileges it got, when it ran, how it exited. */
  container: z
    .strictObject({ id: z.string(), privilege: z.enum(PRIVILEGES), startedAt: z.string(), finishedAt: z.string(), exitCode: z.number().int() })
    .nullable(),
  /** The container's output, relative to the sweep directory. */
  log: z.string().nullable(),
});

const invocationSchema = z.strictObject({
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  engines: z.array(z.string()),
  /** Per engine: the lab image it ran (and whether it had to be built, in how long), or why it could not. */
  images: z.record(z.string(), z.union([z.strictObject({ ref: z.string(), built: z.boolean(), elapsedMs: z.number() }), z.strictObject({ error: z.string() })])),
});

export const sweepSchema = z.strictObject({
  schemaVersion: z.literal(SWEEP_SCHEMA_VERSION),
  scenario: z.strictObject({ file: z.string(), name: z.string(), text: z.string() }),
  axes: z.array(z.strictObject({ path: z.string(), values: z.array(z.string()).min(1) })).min(1),
  cells: z.array(z.strictObject({ id: z.string(), settings: z.array(settingSchema) })).min(1),
  /** `mplab run` options every cell gets (--quick, --repeat N, ...). */
  runArgs: z.array(z.string()),
  /** For the time estimate: what those options mean for the plan. */
  plan: z.strictObject({
    quick: z.boolean(),
    repeat: z.union([z.number().int().min(1), z.literal('auto')]).optional(),
    systems: z.array(z.enum(SYSTEM_NAMES)).optional(),
    workloads: z.array(z.enum(WORKLOAD_NAMES)).optional(),
  }),
  engines: z.array(z.string()).min(1),
  createdAt: z.iso.datetime(),
  invocations: z.array(invocationSchema),
  attempts: z.array(attemptSchema),
});

export type SweepRecord = z.infer<typeof sweepSchema>;
export type Attempt = z.infer<typeof attemptSchema>;
export type Invocation = z.infer<typeof invocationSchema>;
export type CellPlan = SweepRecord['plan'];

export async function readSweep(dir: string): Promise<SweepRecord> {
  const file = path.join(dir, SWEEP_FILE);
  const text = await readFile(file, 'utf8').catch(() => {
    throw new Error(`${dir}: no ${SWEEP_FILE} (is it a sweep directory?)`);
  });
  const parsed = sweepSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} is not a sweep record: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The sweep record of one process: changes go through `update`, each written out before the next. */
export class SweepJournal {
  private writing: Promise<void> = Promise.resolve();
  constructor(
    readonly dir: string,
    private record: SweepRecord,
  ) {}

  get current(): SweepRecord {
    return this.record;
  }

  update(change: (record: SweepRecord) => void): Promise<void> {
    change(this.record);
    const snapshot = `${JSON.stringify(sweepSchema.parse(this.record), null, 2)}\n`;
    const file = path.join(this.dir, SWEEP_FILE);
    // Each write waits for the one before, whether or not that one succeeded.
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await writeFile(`${file}.partial`, snapshot);
      await rename(`${file}.partial`, file);
    });
    return this.writing;
  }
}
