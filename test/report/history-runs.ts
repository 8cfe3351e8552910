// Recorded runs for the history tests: twelve runs of scenarios/ci-smoke.yaml over three
// commits, derived from the two real runs in test/fixtures/runs/ (ci-smoke-a and -b,
// the same code run twice). Derived how: the runs alternate a, b, a, b...; each gets
// its own start time (two hours apart, every recorded time shifted by the same amount),
// run id and commit (four runs per commit, a clean tree); nothing else changes, so the
// three commits measure the same. One run, REGRESSED (the second run of the second
// commit), has every mprelay connect ttfb sample 30 ms later (link A's round trip, what
// losing the warm pool costs), its summaries made again from the samples by the
// runner's own function: the injected regression.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Results } from '../../lab/report/results.ts';
import { mapSamples } from '../gate/derive.ts';
import { fixture, runDirFrom } from './html-helpers.ts';

export const COMMITS = ['4f1c2a9e7b3d5061c8e2f4a6b9d0e1f2a3b4c5d6', '9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3', 'c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4'];
export const RUNS_PER_COMMIT = 4;
export const RUN_COUNT = COMMITS.length * RUNS_PER_COMMIT;
export const REGRESSED = RUNS_PER_COMMIT + 1;
export const FIRST_START = Date.parse('2026-11-26T08:00:00Z');
const SPACING_MS = 2 * 3600_000;

/** The run directory name the runner gives a run started at `ms`. */
export const runIdAt = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
export const runIds = Array.from({ length: RUN_COUNT }, (_, i) => runIdAt(FIRST_START + i * SPACING_MS));

const shifted = (iso: string, byMs: number) => new Date(Date.parse(iso) + byMs).toISOString();

export function derivedRun(base: Results, startMs: number, revision: string): Results {
  const offset = startMs - Date.parse(base.run.startedAt);
  return {
    ...base,
    run: { ...base.run, id: runIdAt(startMs), startedAt: shifted(base.run.startedAt, offset), finishedAt: shifted(base.run.finishedAt, offset) },
    runs: base.runs.map((r) => ({ ...r, startedAt: shifted(r.startedAt, offset) })),
    environment: { ...base.environment, git: { revision, dirty: false } },
  };
}

export const isMprelayTtfb = (s: Results['samples'][number]) => s.system === 'mprelay' && s.workload === 'connect' && s.metric === 'ttfb_ms';

export async function historyResults(): Promise<Results[]> {
  const [a, b] = [await fixture('ci-smoke-a'), await fixture('ci-smoke-b')];
  return runIds.map((_, i) => {
    const run = derivedRun(i % 2 === 0 ? a : b, FIRST_START + i * SPACING_MS, COMMITS[Math.floor(i / RUNS_PER_COMMIT)]!);
    return i === REGRESSED ? mapSamples(run, isMprelayTtfb, (v) => v + 30) : run;
  });
}

/** <reportsDir>/ci-smoke/<runId>/ for each of the twelve runs, as the runner writes them. */
export async function writeHistoryRuns(t: Parameters<typeof runDirFrom>[0], reportsDir: string): Promise<string[]> {
  const results = await historyResults();
  const dirs: string[] = [];
  for (const [i, r] of results.entries()) {
    const dir = path.join(reportsDir, 'ci-smoke', runIds[i]!);
    await mkdir(dir, { recursive: true });
    dirs.push(await runDirFrom(t, r, dir));
  }
  return dirs;
}
