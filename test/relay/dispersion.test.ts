// Packet dispersion on synthetic arrivals: the rate is the bytes after the first over the
// spread; no figure from one datagram or from a train read in one bunch; the median of the
// last five estimates is not moved by one odd train.
import test from 'ava';
import { CAPACITY_ESTIMATES_KEPT, CapacityEstimate, dispersionOf, dispersionRate } from '../../relay/dispersion.ts';

/** `count` arrivals of 1200 bytes spaced by `gapMs`. */
const train = (count: number, gapMs: number) => Array.from({ length: count }, (_, i) => ({ atMs: 1000 + i * gapMs, bytes: 1200 }));

test('8 datagrams of 1200 bytes 9.6 ms apart: 8400 bytes over 67.2 ms, 1 Mbit/s', (t) => {
  const dispersion = dispersionOf(train(8, 9.6));
  t.is(dispersion?.bytes, 8400);
  t.is(Math.round((dispersion?.spreadMs ?? 0) * 10) / 10, 67.2);
  t.is(Math.round((dispersionRate(dispersion) ?? 0) * 8) / 1000, 1, 'Mbit/s');
});

test('no figure from fewer than two arrivals, or from arrivals with no spread', (t) => {
  t.is(dispersionOf([]), undefined);
  t.is(dispersionOf(train(1, 9.6)), undefined);
  t.is(dispersionRate(undefined), undefined);
  t.is(dispersionRate(dispersionOf(train(8, 0))), undefined);
});

test('the estimate is the median of the last five: one odd train does not move it, and the oldest leave', (t) => {
  const estimate = new CapacityEstimate();
  t.is(estimate.bytesPerMs, undefined);
  for (const rate of [125, 120, 130, 40, 126]) estimate.add(rate);
  t.is(estimate.bytesPerMs, 125, 'a train that met other traffic (40) is outvoted');
  for (let i = 0; i < CAPACITY_ESTIMATES_KEPT; i++) estimate.add(750);
  t.is(estimate.bytesPerMs, 750, 'the link got faster: five new trains replace the old');
});
