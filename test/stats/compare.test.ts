import test from 'ava';
import { mannWhitneyMinP, mannWhitneyP, samplesNeeded } from '../../lab/stats/compare.ts';

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

test('the smallest p a rank test can reach: two samples each can never call a change real', (t) => {
  t.true(mannWhitneyMinP(2, 2) > 0.1);
  t.true(mannWhitneyMinP(4, 4) > 0.01);
  t.true(mannWhitneyMinP(8, 8) < 0.01);
  t.is(mannWhitneyMinP(5, 5), mannWhitneyP([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 'less'));
  // So a gated metric needs 5 samples a side for p < 0.01 to be reachable at all.
  t.is(samplesNeeded(0.01), 5);
  t.is(samplesNeeded(0.05), 3);
});
