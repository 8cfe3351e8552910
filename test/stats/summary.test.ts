import test from 'ava';
import { relativeHalfWidth, summarize } from '../../lab/stats/summary.ts';
import { seededRandom } from '../../lab/stats/random.ts';

const draw = (random: () => number, n: number, offset = 0) => Array.from({ length: n }, () => offset + random() * 10);

test('summary of 1..100 in one repetition: quantiles and mean, and no interval (one repetition cannot show how repetitions differ)', (t) => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  t.deepEqual(summarize([values]), { n: 100, reps: 1, censored: 0, mean: 50.5, p50: 50.5, p95: 95.05, p99: 99.01, ci95: null });
});

test('summary of 1..100 in two repetitions: an interval around the median', (t) => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  const s = summarize([values.filter((v) => v % 2 === 0), values.filter((v) => v % 2 === 1)]);
  t.like(s, { n: 100, reps: 2, mean: 50.5, p50: 50.5 });
  const [lo, hi] = s.ci95 ?? [NaN, NaN];
  t.true(lo < s.p50 && s.p50 < hi, JSON.stringify(s.ci95));
  // For n = 100 the order-statistic interval of the median is about ranks 40..61 (two near-identical repetitions add little).
  t.true(lo >= 36 && hi <= 65, JSON.stringify(s.ci95));
});

test('n counts samples, reps the repetitions that have any; p95 and p99 only from 20 and 100 samples', (t) => {
  const s = summarize([[1, 2, 3], [], [4, 5]], 2);
  t.like(s, { n: 5, reps: 2, censored: 2, p50: 3, p95: null, p99: null, mean: 3 });
  const twenty = summarize([Array.from({ length: 10 }, (_, i) => i), Array.from({ length: 10 }, (_, i) => i + 10)]);
  t.is(twenty.p95, 18.05);
  t.is(twenty.p99, null);
});

test('cluster bootstrap: shifting one repetition as a whole widens the interval', (t) => {
  // Five repetitions of 20 samples; then the same with the third repetition 10 higher throughout.
  const random = seededRandom(11);
  const reps = Array.from({ length: 5 }, () => draw(random, 20));
  const shifted = reps.map((r, i) => (i === 2 ? r.map((v) => v + 10) : r));
  const calm = summarize(reps);
  const oneOff = summarize(shifted);
  const width = (ci: [number, number] | null) => (ci ? ci[1] - ci[0] : NaN);
  t.true(width(oneOff.ci95) > 1.5 * width(calm.ci95), `calm ${calm.ci95}, one repetition shifted ${oneOff.ci95}`);
  // The same 100 samples pooled into one "repetition" would hide it: one repetition has no interval.
  t.is(summarize([shifted.flat()]).ci95, null);
});

test('the bootstrap is seeded: the same samples give the same interval, whatever their order within a repetition', (t) => {
  const random = seededRandom(7);
  const reps = [draw(random, 30), draw(random, 30)];
  t.deepEqual(summarize(reps), summarize(reps));
  const median = summarize(reps).p50;
  const reversed = summarize(reps.map((r) => [...r].reverse()));
  const [lo, hi] = reversed.ci95 ?? [NaN, NaN];
  t.true(lo <= median && median <= hi);
});

test('one sample, constant samples, no samples', (t) => {
  t.deepEqual(summarize([[4]]), { n: 1, reps: 1, censored: 0, p50: 4, p95: null, p99: null, mean: 4, ci95: null });
  t.deepEqual(summarize([[2, 2], [2]]).ci95, [2, 2]);
  t.throws(() => summarize([[], []]), { message: 'summarize: no samples' });
});

test('relative half-width: the interval against its median', (t) => {
  const at = (p50: number, ci95: [number, number] | null) => relativeHalfWidth({ ...summarize([[p50]]), p50, ci95 });
  t.is(at(100, [90, 110]), 0.1);
  t.is(at(-50, [-55, -45]), 0.1);
  t.is(at(0, [0, 0]), 0);
  t.is(at(0, [0, 1]), Number.POSITIVE_INFINITY);
  t.is(at(100, null), null, 'one repetition: no interval, no width');
});

test('seeded random is uniform enough on [0, 1)', (t) => {
  const random = seededRandom(1);
  const draws = Array.from({ length: 10_000 }, random);
  t.true(draws.every((x) => x >= 0 && x < 1));
  const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
  t.true(Math.abs(mean - 0.5) < 0.02);
});
