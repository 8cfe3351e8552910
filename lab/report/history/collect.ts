// The history of a reports directory: every <scenario>/<run>/results.json under it as a
// compact summary with the gate's verdict against its baseline, per scenario in the
// order the runs started, cut into series. A run's baseline is the committed
// reports/baselines/<scenario>.json when there is one (what CI gates against), else the
// previous run of its own series. Summaries and verdicts come from each run's cached
// history-entry.json when it is still valid, else are made and cached.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadRun, REPORT_FILE, RESULTS_FILE, RunInputError } from '../html/load-run.ts';
import type { RunView } from '../html/run-view.ts';
import { sha256 } from './conditions.ts';
import { codeVersion, readEntry, writeEntry, type HistoryEntry } from './entry-cache.ts';
import { runSummaryOf, type RunSummary } from './run-summary.ts';
import { runVerdict, type Baseline, type BaselineRef, type RunVerdict } from './run-verdict.ts';
import { inSeries } from './series.ts';

export const BASELINES_DIR = 'baselines';

export interface HistoryRun {
  dir: string;
  /** The run directory's name (its timestamp). */
  runId: string;
  /** The run's index.html, relative to the reports directory. */
  href: string;
  summary: RunSummary;
  segment: number;
  changes: string[];
  verdict: RunVerdict;
}

export interface ScenarioHistory {
  name: string;
  /** The committed baseline file, relative to the reports directory, when there is one. */
  committedBaseline: string | null;
  /** Oldest first. */
  runs: HistoryRun[];
}

export interface History {
  scenarios: ScenarioHistory[];
  /** Run directories whose results.json could not be read, with the reason (listed, not fatal). */
  skipped: { dir: string; reason: string }[];
  /** How many verdicts the gate computed in this build, and how many came from the cache. */
  verdicts: { computed: number; cached: number };
}

interface Found {
  dir: string;
  runId: string;
  href: string;
  resultsSha256: string;
  entry: HistoryEntry;
  /** Whether the entry differs from the one on disk. */
  dirty: boolean;
}

const fileSha256 = async (file: string) => sha256(await readFile(file));

async function runDirs(reportsDir: string): Promise<{ dir: string; href: string; runId: string }[]> {
  const out: { dir: string; href: string; runId: string }[] = [];
  const scenarios = (await readdir(reportsDir, { withFileTypes: true })).filter((e) => e.isDirectory() && e.name !== BASELINES_DIR);
  for (const scenario of scenarios) {
    for (const run of await readdir(path.join(reportsDir, scenario.name), { withFileTypes: true })) {
      if (run.isDirectory()) out.push({ dir: path.join(reportsDir, scenario.name, run.name), runId: run.name, href: path.posix.join(scenario.name, run.name, REPORT_FILE) });
    }
  }
  return out;
}

/** A few recently loaded runs: a run's baseline is usually the run just before it. */
class Views {
  private readonly recent = new Map<string, Promise<RunView>>();
  load(target: string): Promise<RunView> {
    const known = this.recent.get(target);
    if (known) return known;
    const view = loadRun(target);
    this.recent.set(target, view);
    if (this.recent.size > 4) this.recent.delete(this.recent.keys().next().value!);
    return view;
  }
}

async function find(run: { dir: string; href: string; runId: string }, views: Views): Promise<Found> {
  const resultsSha256 = await fileSha256(path.join(run.dir, RESULTS_FILE)).catch(() => {
    throw new RunInputError(`${run.dir}: no ${RESULTS_FILE} in this directory (is it a run directory?)`);
  });
  const cached = await readEntry(run.dir);
  if (cached && cached.resultsSha256 === resultsSha256) return { ...run, resultsSha256, entry: cached, dirty: false };
  const summary = runSummaryOf((await views.load(run.dir)).results);
  return { ...run, resultsSha256, entry: { code: codeVersion(), resultsSha256, summary, verdict: null }, dirty: true };
}

export async function collectHistory(reportsDir: string): Promise<History> {
  const views = new Views();
  const skipped: History['skipped'] = [];
  const found: Found[] = [];
  for (const run of await runDirs(reportsDir)) {
    try {
      found.push(await find(run, views));
    } catch (error) {
      if (!(error instanceof RunInputError)) throw error;
      skipped.push({ dir: run.dir, reason: error.message });
    }
  }
  const byScenario = new Map<string, Found[]>();
  for (const f of found) byScenario.set(f.entry.summary.scenarioName, [...(byScenario.get(f.entry.summary.scenarioName) ?? []), f]);
  const verdicts = { computed: 0, cached: 0 };
  const scenarios: ScenarioHistory[] = [];
  for (const [name, members] of [...byScenario].sort(([a], [b]) => a.localeCompare(b))) {
    const committedFile = path.join(reportsDir, BASELINES_DIR, `${name}.json`);
    const committedSha256 = await fileSha256(committedFile).catch(() => null);
    const committedBaseline = committedSha256 === null ? null : path.posix.join(BASELINES_DIR, `${name}.json`);
    const series = inSeries(members, (f) => ({ runId: f.runId, ...f.entry.summary }));
    const runs: HistoryRun[] = [];
    for (const { run, segment, changes, previous } of series) {
      const [ref, target, baselineSha256]: [BaselineRef, string | null, string | null] =
        committedBaseline !== null
          ? [{ kind: 'committed', file: committedBaseline }, committedFile, committedSha256]
          : previous
            ? [{ kind: 'previous', runId: previous.runId }, previous.dir, previous.resultsSha256]
            : [{ kind: 'none' }, null, null];
      const key = `${JSON.stringify(ref)} ${baselineSha256}`;
      let verdict = run.entry.verdict?.key === key ? run.entry.verdict.value : undefined;
      if (verdict) verdicts.cached++;
      else {
        verdict = await verdictOf(run.dir, ref, target, views);
        verdicts.computed++;
        run.entry.verdict = { key, value: verdict };
        run.dirty = true;
      }
      if (run.dirty) await writeEntry(run.dir, run.entry);
      runs.push({ dir: run.dir, runId: run.runId, href: run.href, summary: run.entry.summary, segment, changes, verdict });
    }
    scenarios.push({ name, committedBaseline, runs });
  }
  return { scenarios, skipped, verdicts };
}

async function verdictOf(dir: string, ref: BaselineRef, target: string | null, views: Views): Promise<RunVerdict> {
  const now = await views.load(dir);
  let baseline: Baseline | undefined;
  try {
    baseline = target === null ? undefined : { ref, view: await views.load(target) };
  } catch (error) {
    if (!(error instanceof RunInputError)) throw error;
    const rulesOnly = runVerdict(now, undefined);
    return { ...rulesOnly, baseline: ref, exitCode: 2, inputErrors: [...rulesOnly.inputErrors, error.message] };
  }
  return runVerdict(now, baseline);
}
