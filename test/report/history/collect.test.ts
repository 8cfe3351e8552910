// The history of a reports directory over the twelve recorded runs (test/report/history-runs.ts):
// the gate runs once per run and its verdict is cached next to results.json; a changed
// run is judged again, and so is the run whose baseline it is, nothing else. With a
// committed baseline, every run is judged against it.
import test from 'ava';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { collectHistory } from '../../../lab/report/history/collect.ts';
import { ENTRY_FILE } from '../../../lab/report/history/entry-cache.ts';
import { mapSamples } from '../../gate/derive.ts';
import { historyResults, isMprelayTtfb, REGRESSED, RUN_COUNT, runIds, writeHistoryRuns } from '../history-runs.ts';

const COMMITTED_BASELINE = path.resolve(import.meta.dirname, '../../../reports/baselines/ci-smoke.json');

async function reportsDirWithRuns(t: Parameters<typeof writeHistoryRuns>[0] & { teardown(fn: () => Promise<void>): void }) {
  const reportsDir = await mkdtemp(path.join(os.tmpdir(), 'mplab-history-'));
  t.teardown(() => rm(reportsDir, { recursive: true, force: true }));
  return { reportsDir, dirs: await writeHistoryRuns(t, reportsDir) };
}

const exitCodes = (h: Awaited<ReturnType<typeof collectHistory>>) => h.scenarios[0]!.runs.map((r) => r.verdict.exitCode);

test.serial('verdicts are cached per run; a changed run is judged again, with the run it is the baseline of', async (t) => {
  const { reportsDir, dirs } = await reportsDirWithRuns(t);
  let started = performance.now();
  const cold = await collectHistory(reportsDir);
  const coldMs = performance.now() - started;
  t.deepEqual(cold.verdicts, { computed: RUN_COUNT, cached: 0 });
  t.is(cold.scenarios.length, 1);
  t.is(cold.scenarios[0]!.committedBaseline, null);
  t.deepEqual(cold.scenarios[0]!.runs.map((r) => r.runId), runIds);
  t.deepEqual(exitCodes(cold), runIds.map((_, i) => (i === REGRESSED ? 1 : 0)));
  t.deepEqual(cold.scenarios[0]!.runs.map((r) => r.verdict.baseline), runIds.map((_, i) => (i % 4 === 0 ? { kind: 'none' } : { kind: 'previous', runId: runIds[i - 1] })));

  started = performance.now();
  const warm = await collectHistory(reportsDir);
  const warmMs = performance.now() - started;
  t.deepEqual(warm.verdicts, { computed: 0, cached: RUN_COUNT });
  t.deepEqual(warm.scenarios, cold.scenarios);
  t.log(`history of ${RUN_COUNT} runs: ${coldMs.toFixed(0)} ms computing every verdict, ${warmMs.toFixed(0)} ms from the cache`);

  // Run 9 now regressed as run 5 did: it is judged again, and run 10, whose baseline it is.
  const results = await historyResults();
  await writeFile(path.join(dirs[9]!, 'results.json'), JSON.stringify(mapSamples(results[9]!, isMprelayTtfb, (v) => v + 30)));
  const changed = await collectHistory(reportsDir);
  t.deepEqual(changed.verdicts, { computed: 2, cached: RUN_COUNT - 2 });
  t.deepEqual(exitCodes(changed), runIds.map((_, i) => (i === REGRESSED || i === 9 ? 1 : 0)));
  t.is(changed.scenarios[0]!.runs[10]!.verdict.decided[0]!.mark, 'improvement');

  // A cache file that does not parse is made again.
  await writeFile(path.join(dirs[3]!, ENTRY_FILE), '{');
  t.deepEqual((await collectHistory(reportsDir)).verdicts, { computed: 1, cached: RUN_COUNT - 1 });
});

test.serial('with a committed baseline every run is judged against it: the injected regression is the only one', async (t) => {
  const { reportsDir } = await reportsDirWithRuns(t);
  await mkdir(path.join(reportsDir, 'baselines'));
  await copyFile(COMMITTED_BASELINE, path.join(reportsDir, 'baselines', 'ci-smoke.json'));
  const history = await collectHistory(reportsDir);
  t.is(history.scenarios[0]!.committedBaseline, 'baselines/ci-smoke.json');
  t.true(history.scenarios[0]!.runs.every((r) => r.verdict.baseline.kind === 'committed'));
  t.deepEqual(exitCodes(history), runIds.map((_, i) => (i === REGRESSED ? 1 : 0)));
  const regressed = history.scenarios[0]!.runs[REGRESSED]!.verdict;
  t.deepEqual(regressed.decided.map((d) => [d.mark, d.text.split(':')[0]]), [['regression', 'mprelay connect ttfb_ms']]);
});

test.serial('a committed baseline that is not a results file: every run is bad input (exit 2), saying why', async (t) => {
  const { reportsDir } = await reportsDirWithRuns(t);
  await mkdir(path.join(reportsDir, 'baselines'));
  const file = path.join(reportsDir, 'baselines', 'ci-smoke.json');
  await writeFile(file, '{}');
  const history = await collectHistory(reportsDir);
  t.deepEqual(exitCodes(history), runIds.map(() => 2));
  for (const run of history.scenarios[0]!.runs) {
    t.is(run.verdict.inputErrors.length, 1);
    t.true(run.verdict.inputErrors[0]!.startsWith(`${file} is not a valid results file:\n  schemaVersion: `), run.verdict.inputErrors[0]);
  }
});
