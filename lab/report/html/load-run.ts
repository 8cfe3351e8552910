// Reads a run for the report and the gate: a run directory (its results.json) or a
// results-shaped file (a committed baseline). Anything unreadable is a RunInputError,
// which the CLI turns into exit code 2 with the reason.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { readResults } from '../results.ts';
import { runView, type RunView } from './run-view.ts';

export class RunInputError extends Error {
  override name = 'RunInputError';
}

export const RESULTS_FILE = 'results.json';
/** A run's HTML report, in its run directory (and the reports index, in the reports directory). */
export const REPORT_FILE = 'index.html';

/** The results file of a run directory, or the file itself. */
export async function resultsFileOf(target: string): Promise<string> {
  const info = await stat(target).catch(() => undefined);
  if (!info) throw new RunInputError(`${target}: no such file or directory`);
  const file = info.isDirectory() ? path.join(target, RESULTS_FILE) : target;
  if (info.isDirectory() && !(await stat(file).catch(() => undefined))?.isFile()) throw new RunInputError(`${target}: no ${RESULTS_FILE} in this directory (is it a run directory?)`);
  return file;
}

export async function loadRun(target: string): Promise<RunView> {
  const file = await resultsFileOf(target);
  try {
    return runView(await readResults(file), target);
  } catch (error) {
    // readResults names the file and the first schema problems; JSON.parse errors do not.
    const message = error instanceof Error ? error.message : String(error);
    throw new RunInputError(message.includes(file) ? message : `${file}: ${message}`);
  }
}
