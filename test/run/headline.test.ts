// The terminal headline on a recorded run: the same separability rule as the report,
// and the lines a reader needs to trust it (imprecise metrics, where the time went).
import test from 'ava';
import { headline } from '../../lab/report/html/headline.ts';
import { runView } from '../../lab/report/html/run-view.ts';
import { summarizeSamples } from '../../lab/report/results.ts';
import { formatHeadline } from '../../lab/run/headline.ts';
import { fixture } from '../report/html-helpers.ts';

test('best (*) and not separable (=) as in the report; imprecise metrics, timing and flagged blocks are said', async (t) => {
  const results = await fixture('ci-smoke-a');
  const text = formatHeadline(results, '/tmp/run');
  const table = headline(runView(results, 'a'));
  const lines = text.split('\n');
  for (const [i, column] of table.columns.entries()) {
    const line = lines.find((l) => l.startsWith(`${column.workload}.${column.metric}`))!;
    const cells = line.split(/\s{2,}/).slice(1);
    table.rows.forEach((row, r) => {
      const cell = row.cells[i];
      const mark = cell?.best ? ' *' : cell?.notSeparable ? ' =' : '';
      t.true(mark === '' ? !/ [*=]$/.test(cells[r]!) : cells[r]!.endsWith(mark), `${column.metric} ${row.system}: "${cells[r]}"`);
    });
  }
  t.regex(text, /^ci-smoke: 5 repetition\(s\); \* best, its interval clear of the others; = best median but not separable/);
  t.regex(text, results.run.imprecise.length ? /\nimprecise \(interval wider than ±10 % of the median\): / : /\nevery headline metric within ±10 % of its median\n/);
  t.regex(text, /\n\d+m\d\ds wall time, \d+ % inside workloads \(set-up \d+s, quiet waits \d+s, teardown \d+s\)\n/);
  t.regex(text, /link emulator lateness p99 at most \d+ us in any block/);
  t.regex(text, /report: \/tmp\/run$/);
});

test('a run of one repetition prints no interval and claims no precision: its samples were taken back to back', async (t) => {
  const recorded = await fixture('ci-smoke-a');
  const samples = recorded.samples.filter((s) => s.repetition === 1);
  const results = { ...recorded, samples, summary: summarizeSamples(samples), run: { ...recorded.run, repeat: 1, imprecise: [] } };
  const text = formatHeadline(results, '/tmp/run');
  t.regex(text, /^ci-smoke: 1 repetition\(s\); .*no interval and no mark from a single repetition/);
  t.regex(text, /\none repetition: no intervals, so no precision either\n/);
  t.regex(text, /\nmetric \(median\) /);
  const stall = text.split('\n').find((l) => l.startsWith('failover.stall_link_a_ms'))!;
  t.notRegex(stall, /\[|\*| =/, stall);
  const table = headline(runView(results, 'a'));
  const cells = table.rows.flatMap((row) => row.cells).filter((cell) => cell && !cell.shareOf);
  t.true(cells.length > 0 && cells.every((cell) => cell!.ci95 === null && !cell!.best && !cell!.notSeparable));
});
