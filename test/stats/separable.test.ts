import test from 'ava';
import { bestOf } from '../../lab/stats/separable.ts';

const e = (value: number, lo: number, hi: number) => ({ value, ci95: [lo, hi] as const });
/** A system measured in a single repetition: no interval (summary.ts). */
const single = (value: number) => ({ value, ci95: null });

test('a best is claimed only when its interval clears the runner-up', (t) => {
  t.deepEqual(bestOf([e(10, 9, 11), e(20, 18, 22), e(30, 25, 35)], 'lower'), { kind: 'best', index: 0 });
  t.deepEqual(bestOf([e(10, 9, 11), e(20, 18, 22), e(30, 25, 35)], 'higher'), { kind: 'best', index: 2 });
});

test('overlapping intervals are not separable, whichever median is ahead', (t) => {
  // Goodput on lossy links: every MPTCP system within everyone's interval.
  t.deepEqual(bestOf([e(14.1, 12, 15.5), e(13.8, 12.5, 15), e(8, 7.5, 8.5)], 'higher'), { kind: 'not-separable', indices: [0, 1] });
  // A third system whose wide interval reaches the best counts too, although the runner-up clears it.
  t.deepEqual(bestOf([e(10, 9, 11), e(20, 18, 22), e(40, 10.5, 60)], 'lower'), { kind: 'not-separable', indices: [0, 2] });
  // Touching intervals overlap.
  t.deepEqual(bestOf([e(10, 9, 11), e(12, 11, 13)], 'lower'), { kind: 'not-separable', indices: [0, 1] });
});

test('missing systems are skipped; one estimate has nothing to be best against', (t) => {
  t.deepEqual(bestOf([null, e(10, 9, 11), undefined, e(20, 19, 21)], 'lower'), { kind: 'best', index: 1 });
  t.deepEqual(bestOf([null, e(10, 9, 11)], 'lower'), { kind: 'none' });
});

test('one repetition claims nothing: it has no interval to separate by', (t) => {
  t.deepEqual(bestOf([e(10, 9, 11), single(20)], 'lower'), { kind: 'none' });
  t.deepEqual(bestOf([single(10), single(20)], 'lower'), { kind: 'none' });
  t.deepEqual(bestOf([e(10, 9, 11), e(20, 19, 21)], 'lower'), { kind: 'best', index: 0 });
});
