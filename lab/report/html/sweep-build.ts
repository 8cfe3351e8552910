// Writes a sweep's index.html from its cells' results.json files (read through the
// results schema, as every report reads a run).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readResults } from '../results.ts';
import { REPORT_FILE } from './load-run.ts';
import { RESULTS_FILE } from './load-run.ts';
import { sweepData, type SweepCellResult, type SweepInput } from './sweep-data.ts';
import { sweepPageHtml } from './sweep-page.ts';

export interface SweepCellEntry extends Omit<SweepCellResult, 'href' | 'results'> {
  /** The cell's run directory when it is done. */
  runDir: string | null;
}

export async function buildSweepReport(dir: string, input: Omit<SweepInput, 'cells'> & { cells: SweepCellEntry[] }): Promise<string> {
  const cells = await Promise.all(
    input.cells.map(async ({ runDir, ...cell }): Promise<SweepCellResult> => {
      if (!runDir) return { ...cell, href: null, results: null };
      const href = path.relative(dir, path.join(runDir, REPORT_FILE)).split(path.sep).join('/');
      return { ...cell, href, results: await readResults(path.join(runDir, RESULTS_FILE)) };
    }),
  );
  const full: SweepInput = { ...input, cells };
  const file = path.join(dir, REPORT_FILE);
  await writeFile(file, sweepPageHtml(full, sweepData(full)));
  return file;
}
