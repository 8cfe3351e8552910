// `mplab report`: write a run's index.html from its results.json, and reports/index.html
// (with, on request, reports/history.csv) from every run under the reports directory.
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { collectHistory, type History } from '../history/collect.ts';
import { historyCsv } from '../history/csv.ts';
import { indexPageHtml } from './index-page.ts';
import { loadRun, REPORT_FILE } from './load-run.ts';
import { runPageHtml } from './run-page.ts';

export const HISTORY_CSV = 'history.csv';

/** CSV files next to results.json and everything under logs/, relative to the run directory. */
async function runFiles(runDir: string): Promise<string[]> {
  const top = await readdir(runDir, { withFileTypes: true });
  const csv = top.filter((e) => e.isFile() && e.name.endsWith('.csv')).map((e) => e.name);
  const logs = top.some((e) => e.isDirectory() && e.name === 'logs')
    ? (await readdir(path.join(runDir, 'logs'), { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => path.relative(runDir, path.join(e.parentPath, e.name)))
    : [];
  return [...csv.sort(), ...logs.sort()];
}

/** Writes <runDir>/index.html; returns its path. Throws RunInputError for a missing or invalid results.json. */
export async function buildReport(runDir: string): Promise<string> {
  const view = await loadRun(runDir);
  const file = path.join(runDir, REPORT_FILE);
  await writeFile(file, runPageHtml({ view, files: await runFiles(runDir) }));
  return file;
}

export interface IndexBuild {
  file: string;
  runs: number;
  /** Run directories whose results.json could not be read, with the reason (listed, not fatal). */
  skipped: History['skipped'];
  /** Gate verdicts computed in this build, and taken from the runs' cached history entries. */
  verdicts: History['verdicts'];
  /** <reportsDir>/history.csv, when asked for. */
  csvFile?: string;
}

/** Writes <reportsDir>/index.html from every <scenario>/<run>/results.json under it, and history.csv when `csv`. */
export async function buildIndex(reportsDir: string, options: { csv?: boolean } = {}): Promise<IndexBuild> {
  const history = await collectHistory(reportsDir);
  const file = path.join(reportsDir, REPORT_FILE);
  await writeFile(file, indexPageHtml(history));
  const build: IndexBuild = { file, runs: history.scenarios.reduce((n, s) => n + s.runs.length, 0), skipped: history.skipped, verdicts: history.verdicts };
  if (options.csv) {
    build.csvFile = path.join(reportsDir, HISTORY_CSV);
    await writeFile(build.csvFile, historyCsv(history));
  }
  return build;
}
