import test from 'ava';
import { bootstrapMedianCi95, summarize } from '../../lab/stats/summary.ts';
import { seededRandom } from '../../lab/stats/random.ts';

test('summary of 1..100: quantiles, mean, and an interval around the median', (t) => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  const s = summarize(values);
  t.is(s.n, 100);
  t.is(s.mean, 50.5);
  t.true(s.p50 >= 50 && s.p50 <= 51);
  t.true(s.p95 >= 95 && s.p95 <= 96);
  t.true(s.p99 >= 99 && s.p99 <= 100);
  t.true(s.ci95[0] < s.p50 && s.p50 < s.ci95[1], JSON.stringify(s.ci95));
  // For n = 100 the order-statistic interval of the median is about ranks 40..61.
  t.true(s.ci95[0] >= 38 && s.ci95[1] <= 63, JSON.stringify(s.ci95));
});

test('the bootstrap is deterministic, and covers the median whatever the order of the samples', (t) => {
  const random = seededRandom(7);
  const values = Array.from({ length: 57 }, () => random() * 100);
  const shuffled = [...values].reverse();
  t.deepEqual(bootstrapMedianCi95(values), bootstrapMedianCi95(values));
  const [a, b] = [bootstrapMedianCi95(values), bootstrapMedianCi95(shuffled)];
  // Same multiset: the resamples differ, but both intervals cover the median.
  const median = summarize(values).p50;
  t.true(a[0] <= median && median <= a[1] && b[0] <= median && median <= b[1]);
});

test('more samples give a narrower interval', (t) => {
  const random = seededRandom(3);
  const draw = (n: number) => Array.from({ length: n }, () => random() * 10);
  const width = (ci: [number, number]) => ci[1] - ci[0];
  t.true(width(bootstrapMedianCi95(draw(400))) < width(bootstrapMedianCi95(draw(20))));
});

test('one sample, constant samples, no samples', (t) => {
  t.deepEqual(summarize([4]), { n: 1, p50: 4, p95: 4, p99: 4, mean: 4, ci95: [4, 4] });
  t.deepEqual(summarize([2, 2, 2]).ci95, [2, 2]);
  t.throws(() => summarize([]), { message: /no samples/ });
});

test('seeded random is uniform enough on [0, 1)', (t) => {
  const random = seededRandom(1);
  const draws = Array.from({ length: 10_000 }, random);
  t.true(draws.every((x) => x >= 0 && x < 1));
  const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
  t.true(Math.abs(mean - 0.5) < 0.02);
});
