// history-entry.json, next to a run's results.json: its compact summary and the gate's
// verdict against its baseline, so that rebuilding an index of hundreds of runs runs
// the gate only for runs that are new or whose baseline changed. An entry counts only
// for the exact results.json (its sha256), the exact baseline and the same code (the
// sources of the gate, the statistics and this history), else it is made again.
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { sha256 } from './conditions.ts';
import { runSummarySchema } from './run-summary.ts';
import { runVerdictSchema } from './run-verdict.ts';

export const ENTRY_FILE = 'history-entry.json';

const entrySchema = z.strictObject({
  code: z.string(),
  resultsSha256: z.string(),
  summary: runSummarySchema,
  /** The verdict and what it was computed against (baseline reference and its sha256). */
  verdict: z.strictObject({ key: z.string(), value: runVerdictSchema }).nullable(),
});

export type HistoryEntry = z.infer<typeof entrySchema>;

const LAB = path.resolve(import.meta.dirname, '../..');
/** The code a cached entry depends on: a change in any of it makes every entry stale. */
const CODE_SOURCES = ['gate', 'stats', 'report/history', 'report/html/format.ts', 'report/html/run-view.ts', 'report/results.ts'];

let code: string | undefined;

export function codeVersion(): string {
  code ??= sha256(
    CODE_SOURCES.flatMap((source) => {
      const full = path.join(LAB, source);
      const files = source.endsWith('.ts')
        ? [full]
        : readdirSync(full, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(full, e.name)).sort();
      return files.map((file) => `${path.relative(LAB, file)}\n${readFileSync(file, 'utf8')}`);
    }).join('\n'),
  );
  return code;
}

/** The cached entry of a run directory, or undefined when there is none or it does not parse (then it is made again). */
export async function readEntry(runDir: string): Promise<HistoryEntry | undefined> {
  const text = await readFile(path.join(runDir, ENTRY_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = entrySchema.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.code === codeVersion() ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function writeEntry(runDir: string, entry: HistoryEntry): Promise<void> {
  await writeFile(path.join(runDir, ENTRY_FILE), `${JSON.stringify(entrySchema.parse(entry))}\n`);
}
