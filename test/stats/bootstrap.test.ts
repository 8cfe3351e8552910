import test from 'ava';
import { bootstrapCi95 } from '../../lab/stats/bootstrap.ts';
import { statistic } from '../../lab/stats/statistic.ts';

const diff = ([a, b]: number[][]) => statistic('p50', a!) - statistic('p50', b!);

test('bootstrap interval of a difference of medians covers the true shift and is deterministic', (t) => {
  const base = Array.from({ length: 40 }, (_, i) => 50 + (i % 10));
  const shifted = base.map((v) => v + 20);
  const ci = bootstrapCi95([[shifted], [base]], diff);
  t.true(ci[0] <= 20 && 20 <= ci[1], `ci = ${ci}`);
  t.true(ci[0] > 15 && ci[1] < 25);
  t.deepEqual(bootstrapCi95([[shifted], [base]], diff), ci);
});

test('clustered bootstrap: repetitions that disagree widen the interval', (t) => {
  // Two repetitions of 10 samples each: one ran at 15, one at 7 (a whole repetition slow).
  const disagreeing = [Array.from({ length: 10 }, (_, i) => 15 + i * 0.01), Array.from({ length: 10 }, (_, i) => 7 + i * 0.01)];
  const baseline = [Array.from({ length: 10 }, (_, i) => 15 + i * 0.01), Array.from({ length: 10 }, (_, i) => 15.05 + i * 0.01)];
  const clustered = bootstrapCi95([disagreeing, baseline], diff);
  const pooled = bootstrapCi95([[disagreeing.flat()], [baseline.flat()]], diff);
  // Pooled, 20 samples look like a sure drop; by repetition, one slow repetition of two is not.
  t.true(clustered[0] < -7 && clustered[1] >= -0.1, `clustered ${clustered}`);
  t.true(pooled[1] - pooled[0] < clustered[1] - clustered[0], `pooled ${pooled}`);
});

test('a group without samples is refused', (t) => {
  t.throws(() => bootstrapCi95([[[1, 2]], [[], []]], diff), { message: 'bootstrapCi95: a group has no samples' });
});
