// The headline table on a recorded run: the best of each column follows the metric's
// direction (lowest time, highest goodput), and every cell is the run's own summary.
import test from 'ava';
import { headline } from '../../lab/report/html/headline.ts';
import { runView } from '../../lab/report/html/run-view.ts';
import { fixture } from './html-helpers.ts';

test('best per column follows the metric direction; cells are the summaries; ratios to mprelay', async (t) => {
  const results = await fixture('lossy-wisp-short');
  const view = runView(results, 'lossy-wisp-short');
  const table = headline(view);
  t.true(table.columns.length >= 8);
  table.columns.forEach((column, i) => {
    const cells = table.rows.flatMap((r) => (r.cells[i] ? [{ system: r.system, cell: r.cells[i]! }] : []));
    const medians = cells.map((c) => c.cell.value);
    const best = column.better === 'lower' ? Math.min(...medians) : Math.max(...medians);
    // Ties (every system at 1.00 connections ok) are all marked.
    t.deepEqual(
      cells.filter((c) => c.cell.best).map((c) => c.system),
      cells.filter((c) => c.cell.value === best).map((c) => c.system),
      `${column.workload}.${column.metric}`,
    );
    for (const { system, cell } of cells) {
      const summary = view.summary({ system, workload: column.workload, metric: column.metric })!;
      t.deepEqual([cell.value, cell.ci95], column.share ? [summary.mean, undefined] : [summary.p50, summary.ci95]);
    }
    const reference = cells.find((c) => c.system === 'mprelay');
    if (!reference || column.share) return; // no ratio: mprelay has no sample here, or a share
    for (const { cell } of cells) t.is(cell.ratio, cell.value / reference.cell.value);
  });
  const goodput = table.columns.find((c) => c.metric === 'goodput_down_1flow_mbps');
  t.is(goodput?.better, 'higher');
  t.is(table.columns.find((c) => c.metric === 'ttfb_ms')?.better, 'lower');
  t.true(table.rows.some((r) => r.system === 'mprelay'));
  t.true(table.columns.some((c) => c.metric === 'survived_link_a' && c.share === 'repetitions'));
  // Every latency stands next to the success ratio of its attempts.
  for (const [latency, ratio] of [['ttfb_ms', 'success_ratio'], ['rtt_loaded_ms', 'echo_success_ratio'], ['page_load_loaded_ms', 'success_ratio'], ['new_connect_ttfb_link_b_ms', 'new_connect_success_ratio_link_b']]) {
    const at = table.columns.findIndex((c) => c.metric === latency);
    t.true(table.columns.slice(at, at + 3).some((c) => c.metric === ratio && c.share === 'attempts'), `${latency} next to ${ratio}`);
  }
  const censored = table.rows.find((r) => r.system === 'ssh-tunnel')!.cells[table.columns.findIndex((c) => c.metric === 'new_connect_ttfb_link_a_ms')]!;
  t.is(censored.censored, results.samples.filter((s) => s.system === 'ssh-tunnel' && s.metric === 'new_connect_ttfb_link_a_ms' && s.censored).length);
  t.true(censored.censored > 0);
});
