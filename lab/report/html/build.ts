// `mplab report`: write a run's index.html from its results.json, and reports/index.html
// from every run under the reports directory.
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { indexPageHtml, type RunEntry } from './index-page.ts';
import { loadRun, RunInputError } from './load-run.ts';
import { runPageHtml } from './run-page.ts';

export const REPORT_FILE = 'index.html';

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
  skipped: { dir: string; reason: string }[];
}

/** Writes <reportsDir>/index.html listing every <scenario>/<run>/results.json under it. */
export async function buildIndex(reportsDir: string): Promise<IndexBuild> {
  const runs: RunEntry[] = [];
  const skipped: IndexBuild['skipped'] = [];
  const scenarios = (await readdir(reportsDir, { withFileTypes: true })).filter((e) => e.isDirectory() && e.name !== 'baselines');
  for (const scenario of scenarios) {
    for (const run of await readdir(path.join(reportsDir, scenario.name), { withFileTypes: true })) {
      const dir = path.join(reportsDir, scenario.name, run.name);
      if (!run.isDirectory()) continue;
      try {
        const view = await loadRun(dir);
        runs.push({
          scenarioName: view.scenarioName,
          runId: run.name,
          href: path.posix.join(scenario.name, run.name, REPORT_FILE),
          systems: view.systems,
          workloads: view.workloads,
          summary: view.results.summary,
          metrics: view.results.metrics,
        });
      } catch (error) {
        if (!(error instanceof RunInputError)) throw error;
        skipped.push({ dir, reason: error.message });
      }
    }
  }
  const file = path.join(reportsDir, REPORT_FILE);
  await writeFile(file, indexPageHtml(runs));
  return { file, runs: runs.length, skipped };
}
