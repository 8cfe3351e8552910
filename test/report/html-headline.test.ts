// The headline table on a recorded run: the best of each column follows the metric's
// direction (lowest time, highest goodput) and is claimed only when its interval clears
// every other system's; every cell is the run's own summary.
import test from 'ava';
import { headline, headlineHtml } from '../../lab/report/html/headline.ts';
import { runView } from '../../lab/report/html/run-view.ts';
import { mapSamples } from '../gate/derive.ts';
import { fixture } from './html-helpers.ts';

const overlap = (a: readonly [number, number], b: readonly [number, number]) => a[0] <= b[1] && b[0] <= a[1];

test('best per column follows the metric direction, only when separable; cells are the summaries; ratios to mprelay', async (t) => {
  const results = await fixture('lossy-wisp-short');
  const view = runView(results, 'lossy-wisp-short');
  const table = headline(view);
  t.true(table.columns.length >= 8);
  table.columns.forEach((column, i) => {
    const cells = table.rows.flatMap((r) => (r.cells[i] ? [{ system: r.system, cell: r.cells[i]! }] : []));
    const medians = cells.map((c) => c.cell.value);
    const bestMedian = column.better === 'lower' ? Math.min(...medians) : Math.max(...medians);
    const leader = cells.find((c) => c.cell.value === bestMedian)!;
    const best = cells.filter((c) => c.cell.best);
    const tied = cells.filter((c) => c.cell.notSeparable);
    const what = `${column.workload}.${column.metric}`;
    if (column.share) t.deepEqual([best.length, tied.length], [0, 0], `${what}: a share has no interval to separate by`);
    else if (best.length === 1) {
      t.is(best[0], leader, what);
      t.true(cells.every((c) => c === leader || !overlap(c.cell.ci95!, leader.cell.ci95!)), `${what}: the best clears every other interval`);
      t.is(tied.length, 0);
    } else {
      t.true(tied.includes(leader) && tied.length >= 2, what);
      t.true(tied.every((c) => overlap(c.cell.ci95!, leader.cell.ci95!)), `${what}: the not-separable ones overlap the leader`);
      t.true(cells.every((c) => tied.includes(c) || !overlap(c.cell.ci95!, leader.cell.ci95!)));
    }
    for (const { system, cell } of cells) {
      const summary = view.summary({ system, workload: column.workload, metric: column.metric })!;
      t.deepEqual([cell.value, cell.ci95, cell.n, cell.reps], column.share ? [summary.mean, undefined, summary.n, summary.reps] : [summary.p50, summary.ci95, summary.n, summary.reps]);
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

test('overlapping intervals: no best, the overlapping systems are marked not separable', async (t) => {
  // Derived: every system's goodput samples set to the same values, as when every MPTCP system is within everyone's interval.
  const results = await fixture('ci-smoke-a');
  const goodput = 'goodput_down_1flow_mbps';
  const values = results.samples.filter((s) => s.system === 'mprelay' && s.metric === goodput).map((s) => s.value);
  let i = 0;
  const same = mapSamples(results, (s) => s.metric === goodput, () => values[i++ % values.length]!);
  const table = headline(runView(same, 'same'));
  const column = table.columns.findIndex((c) => c.metric === goodput);
  const cells = table.rows.map((r) => r.cells[column]!);
  t.deepEqual(cells.map((c) => [c.best, c.notSeparable]), cells.map(() => [false, true]));
  t.regex(headlineHtml(table), /≈ /);
});
