// `mplab report --history DIR` on the twelve recorded runs (test/report/history-runs.ts):
// the index rebuilt and history.csv written, one row per run, system, workload and
// metric, with the gate's mark of that point.
import test from 'ava';
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Results } from '../../../lab/report/results.ts';
import { REGRESSED, RUN_COUNT, runIds, writeHistoryRuns } from '../history-runs.ts';
import { fixture } from '../html-helpers.ts';

/** How many summaries (system x workload x metric) a run has. */
const summaryCount = (results: Results) => Object.values(results.summary).flatMap((w) => Object.values(w ?? {}).flatMap((m) => Object.keys(m ?? {}))).length;

const CLI = path.resolve(import.meta.dirname, '../../../lab/cli.ts');
const mplab = (args: string[]) => execa('npx', ['tsx', CLI, ...args], { reject: false });

test('mplab report --history DIR writes DIR/index.html and DIR/history.csv', async (t) => {
  const reportsDir = await mkdtemp(path.join(os.tmpdir(), 'mplab-history-'));
  t.teardown(() => rm(reportsDir, { recursive: true, force: true }));
  await writeHistoryRuns(t, reportsDir);
  const run = await mplab(['report', '--history', reportsDir]);
  t.is(run.exitCode, 0, run.stderr);
  t.is(run.stdout, `index: ${path.join(reportsDir, 'index.html')} (${RUN_COUNT} runs; gate verdicts: ${RUN_COUNT} computed, 0 cached)\nhistory: ${path.join(reportsDir, 'history.csv')}`);

  const text = await readFile(path.join(reportsDir, 'history.csv'), 'utf8');
  t.false(text.includes('"'), 'no field needs quoting here, so a split is a parse');
  const [header, ...lines] = text.trimEnd().split('\n');
  const columns = header!.split(',');
  t.deepEqual(columns, ['scenario', 'run', 'started_at', 'commit', 'dirty', 'series', 'conditions_hash', 'system', 'workload', 'metric', 'unit', 'better', 'n', 'reps', 'p50', 'ci95_lo', 'ci95_hi', 'mean', 'gate_mark', 'baseline', 'run_gate_exit_code']);
  const rows = lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [columns[i]!, v])));
  // The runs alternate between the two recorded runs (test/report/history-runs.ts).
  const [a, b] = [await fixture('ci-smoke-a'), await fixture('ci-smoke-b')];
  t.is(rows.length, (RUN_COUNT / 2) * (summaryCount(a) + summaryCount(b)), 'every summary of every run');
  t.deepEqual(new Set(rows.map((r) => r.series)), new Set(['1', '2', '3']));
  const regressed = rows.filter((r) => r.gate_mark === 'regression');
  t.deepEqual(regressed.map((r) => [r.run, r.system, r.workload, r.metric, r.baseline, r.run_gate_exit_code]), [
    [runIds[REGRESSED], 'mprelay', 'connect', 'ttfb_ms', `previous run of the series: ${runIds[REGRESSED - 1]}`, '1'],
  ]);
  t.true(Number(regressed[0]!.ci95_lo) < Number(regressed[0]!.p50) && Number(regressed[0]!.p50) < Number(regressed[0]!.ci95_hi));
  t.is(regressed[0]!.n, String((REGRESSED % 2 === 0 ? a : b).summary.mprelay!.connect!.ttfb_ms!.n));

  const again = await mplab(['report', '--history', reportsDir]);
  t.regex(again.stdout, /gate verdicts: 0 computed, 12 cached/);
});

test('a run directory and --history together are refused (exit 2)', async (t) => {
  const run = await mplab(['report', 'some/run', '--history', 'reports']);
  t.is(run.exitCode, 2);
  t.regex(run.stderr, /^mplab: report: give a run directory or --history DIR, not both\nusage:/);
});

test('--history of a directory that does not exist is refused (exit 2)', async (t) => {
  const run = await mplab(['report', '--history', '/nonexistent/reports']);
  t.is(run.exitCode, 2);
  t.regex(run.stderr, /^mplab: --history: \/nonexistent\/reports is not a directory\nusage:/);
});
