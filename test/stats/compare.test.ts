import test from 'ava';
import { cumulativeStdNormalProbability } from 'simple-statistics';
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

test('Mann-Whitney with ties: 0/1 outcomes, 12 failures in 60 against none, is significant; identical samples are not', (t) => {
  const now = [...Array(48).fill(1), ...Array(12).fill(0)];
  const baseline = Array(60).fill(1);
  // By hand: U = 1440, mean 1800, tie-corrected sd = sqrt(3600/12 * (121 - (12^3-12 + 108^3-108) / (120*119))) = 98.99.
  const p = mannWhitneyP(now, baseline, 'less');
  t.true(Math.abs(p - (1 - cumulativeStdNormalProbability((1800 - 1440 - 0.5) / 98.99))) < 1e-4, String(p));
  t.true(p < 0.01);
  t.true(mannWhitneyP(baseline, baseline, 'less') > 0.99);
});
