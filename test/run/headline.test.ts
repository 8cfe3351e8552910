// The terminal headline on a recorded run: the same separability rule as the report,
// and the lines a reader needs to trust it (imprecise metrics, where the time went).
import test from 'ava';
import { headline } from '../../lab/report/html/headline.ts';
import { runView } from '../../lab/report/html/run-view.ts';
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
