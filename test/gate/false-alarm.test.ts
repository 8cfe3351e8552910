// The gate's A/A false-alarm rate, estimated on a recorded run of one system (mprelay,
// 10 repetitions on ci-smoke's lossy links): every way of splitting the 10 repetitions
// into two halves of 5 (252 ordered splits: each half is once the run, once the
// baseline) is gated against the other half. Both halves are the same code on the same
// links, so every regression the gate calls is a false alarm. At most 1 % may be.
import test from 'ava';
import { compareWithBaseline } from '../../lab/gate/baseline.ts';
import { runView } from '../../lab/report/html/run-view.ts';
import { fixture } from '../report/html-helpers.ts';
import { keepRepetitions } from './derive.ts';

/** Every k-subset of 1..n, in lexicographic order. */
function subsets(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  if (n < k) return [];
  return [...subsets(n - 1, k - 1).map((s) => [...s, n]), ...subsets(n - 1, k)];
}

test('A/A: splitting 10 repetitions of one system into halves, the gate calls a regression in at most 1 % of the splits', async (t) => {
  const recorded = await fixture('ci-smoke-mprelay-10');
  const repetitions = [...new Set(recorded.samples.map((s) => s.repetition))].sort((a, b) => a - b);
  t.is(repetitions.length, 10);
  const splits = subsets(10, 5);
  t.true(splits.length >= 200);
  const alarms = new Map<string, number>();
  let falseAlarms = 0;
  let judged = 0;
  for (const half of splits) {
    const other = repetitions.filter((r) => !half.includes(r));
    const halves = [half, other].map((reps) => runView(keepRepetitions(recorded, reps, { summarize: false }), 'half'));
    const comparison = compareWithBaseline(halves[0]!, halves[1]!);
    const regressed = [...comparison.comparisons.filter((c) => c.verdict === 'regression').map((c) => c.key.metric), ...comparison.missing.map((m) => `${m.workload} (missing)`)];
    judged += comparison.comparisons.filter((c) => c.verdict !== 'too-few-samples').length;
    if (regressed.length > 0) falseAlarms++;
    for (const metric of regressed) alarms.set(metric, (alarms.get(metric) ?? 0) + 1);
  }
  const rate = falseAlarms / splits.length;
  const line = `gate A/A false alarms: ${falseAlarms} of ${splits.length} splits (${(rate * 100).toFixed(2)} %), ${judged} metric comparisons judged; by metric: ${JSON.stringify(Object.fromEntries(alarms))}`;
  console.log(line);
  t.log(line);
  t.true(rate <= 0.01, line);
});
