import test from 'ava';
import { cumulativeStdNormalProbability } from 'simple-statistics';
import { bootstrapCi95, mannWhitneyMinP, mannWhitneyP, statistic } from '../../lab/stats/compare.ts';
import { summarize } from '../../lab/stats/summary.ts';

test('Mann-Whitney: fully separated samples, against the normal approximation by hand', (t) => {
  // U = 0, mean 12.5, sd sqrt(25 * 11 / 12) = 4.787; z = (12.5 - 0 - 0.5) / 4.787 = 2.507.
  const p = mannWhitneyP([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 'less');
  t.true(Math.abs(p - 0.0061) < 0.0005, `p = ${p}`);
  t.true(mannWhitneyP([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 'greater') > 0.99);
});

test('Mann-Whitney: one distribution gives no small p either way', (t) => {
  const x = [10, 12, 11, 13, 9, 10, 12, 14];
  const y = [11, 10, 13, 12, 9, 12, 10, 13];
  t.true(mannWhitneyP(x, y, 'greater') > 0.2);
  t.true(mannWhitneyP(x, y, 'less') > 0.2);
});

test('bootstrap interval of a difference of medians covers the true shift and is deterministic', (t) => {
  const base = Array.from({ length: 40 }, (_, i) => 50 + (i % 10));
  const shifted = base.map((v) => v + 20);
  const diff = ([a, b]: number[][]) => statistic('p50', a!) - statistic('p50', b!);
  const ci = bootstrapCi95([[shifted], [base]], diff);
  t.true(ci[0] <= 20 && 20 <= ci[1], `ci = ${ci}`);
  t.true(ci[0] > 15 && ci[1] < 25);
  t.deepEqual(bootstrapCi95([[shifted], [base]], diff), ci);
});

test('clustered bootstrap: repetitions that disagree widen the interval', (t) => {
  // Two repetitions of 10 samples each: one ran at 15, one at 7 (a whole repetition slow).
  const disagreeing = [Array.from({ length: 10 }, (_, i) => 15 + i * 0.01), Array.from({ length: 10 }, (_, i) => 7 + i * 0.01)];
  const baseline = [Array.from({ length: 10 }, (_, i) => 15 + i * 0.01), Array.from({ length: 10 }, (_, i) => 15.05 + i * 0.01)];
  const diff = ([a, b]: number[][]) => statistic('p50', a!) - statistic('p50', b!);
  const clustered = bootstrapCi95([disagreeing, baseline], diff);
  const pooled = bootstrapCi95([[disagreeing.flat()], [baseline.flat()]], diff);
  // Pooled, 20 samples look like a sure drop; by repetition, one slow repetition of two is not.
  t.true(clustered[0] < -7 && clustered[1] >= -0.1, `clustered ${clustered}`);
  t.true(pooled[1] - pooled[0] < clustered[1] - clustered[0], `pooled ${pooled}`);
});

test('statistics are the ones results.json summaries hold', (t) => {
  const values = [5, 1, 4, 2, 3, 40, 7, 7.5, 12];
  const summary = summarize(values);
  for (const name of ['p50', 'p95', 'p99', 'mean'] as const) t.is(statistic(name, values), summary[name], name);
});

test('the smallest p a rank test can reach: two samples each can never call a change real', (t) => {
  t.true(mannWhitneyMinP(2, 2) > 0.1);
  t.true(mannWhitneyMinP(4, 4) > 0.01);
  t.true(mannWhitneyMinP(8, 8) < 0.01);
  t.is(mannWhitneyMinP(5, 5), mannWhitneyP([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 'less'));
});

test('Mann-Whitney with ties: 0/1 outcomes, 12 failures in 60 against none, is significant; identical samples are not', (t) => {
  const now = [...Array(48).fill(1), ...Array(12).fill(0)];
  const baseline = Array(60).fill(1);
  // By hand: U = 1440, mean 1800, tie-corrected sd = sqrt(3600/12 * (121 - (12^3-12 + 108^3-108) / (120*119))) = 98.99.
  const p = mannWhitneyP(now, baseline, 'less');
  t.true(Math.abs(p - (1 - cumulativeStdNormalProbability((1800 - 1440 - 0.5) / 98.99))) < 1e-4, String(p));
  t.true(p < 0.01);
  t.true(mannWhitneyP(baseline, baseline, 'less') > 0.99);
});
