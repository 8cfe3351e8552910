import test from 'ava';
import { MIN_SAMPLES, statistic, statisticOrNull, TooFewSamplesError } from '../../lab/stats/statistic.ts';

test('quantiles and mean of 1..100', (t) => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  t.is(statistic('mean', values), 50.5);
  t.is(statistic('p50', values), 50.5);
  t.is(statistic('p95', values), 95.05);
  t.is(statistic('p99', values), 99.01);
});

test('p95 needs 20 samples and p99 100: below that there is no such number', (t) => {
  const nineteen = Array.from({ length: 19 }, (_, i) => i);
  t.is(statisticOrNull('p95', nineteen), null);
  t.is(statisticOrNull('p95', [...nineteen, 19]), 18.05);
  t.is(statisticOrNull('p99', Array.from({ length: 99 }, (_, i) => i)), null);
  const error = t.throws(() => statistic('p95', nineteen), { instanceOf: TooFewSamplesError });
  t.is(error.message, 'p95 needs at least 20 samples, got 19');
  t.deepEqual([error.statistic, error.n], ['p95', 19]);
  t.throws(() => statistic('p50', []), { instanceOf: TooFewSamplesError, message: 'p50 needs at least 1 samples, got 0' });
  t.deepEqual(MIN_SAMPLES, { p50: 1, mean: 1, p95: 20, p99: 100 });
});
