import test from 'ava';
import { blockHealth } from '../../lab/run/health.ts';
import type { DirectionCounters, LinkCounters } from '../../lab/topology/types.ts';

const direction = (p99Us: number): DirectionCounters => ({
  sentPackets: 10,
  sentBytes: 15_000,
  lossDrops: 0,
  queueDrops: 0,
  outageDrops: 0,
  latenessP50Us: 20,
  latenessP99Us: p99Us,
  latenessMaxUs: p99Us * 3,
  appliedDelayMeanUs: 20_050,
  appliedDelaySdUs: 1_100,
});
const link = (p99Us: number, rtPriority = 10): LinkCounters => ({ up: direction(p99Us), down: direction(80), rtPriority });

test('a block is bad when any emulator direction has lateness p99 above 1 ms', (t) => {
  const good = blockHealth({ a: link(90), b: link(1000) })!;
  t.like(good, { rtPriority: 10, worstLatenessP99Us: 1000, bad: false });
  t.deepEqual(good.links.a!.up, { latenessP50Us: 20, latenessP99Us: 90, latenessMaxUs: 270, appliedDelayMeanUs: 20_050, appliedDelaySdUs: 1_100 });
  t.like(blockHealth({ a: link(90), b: link(1001, 0) }), { rtPriority: 0, worstLatenessP99Us: 1001, bad: true });
});

test('netem keeps no lateness: no health figures rather than zeros', (t) => {
  const netem: LinkCounters = { up: { sentPackets: 1, sentBytes: 1, lossDrops: 0, queueDrops: 0, outageDrops: 0 }, down: { sentPackets: 1, sentBytes: 1, lossDrops: 0, queueDrops: 0, outageDrops: 0 } };
  t.is(blockHealth({ a: netem, b: netem }), null);
  t.is(blockHealth({}), null);
});
