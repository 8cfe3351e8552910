// The arithmetic that turns receiver bytes into metrics, on series made by hand.
import test from 'ava';
import { latencySample, successSample } from '../../lab/workloads/attempts.ts';
import { deliveredAfter, FIGURE_BIN_MS, outageGoodputRatio, recovery, stall, type DownloadSeries } from '../../lab/workloads/failover-figures.ts';
import { binsMbps, caughtUpSpan, sumBins } from '../../lab/workloads/goodput.ts';
import { echoPhase } from '../../lab/workloads/hol.ts';
import { metric } from '../../lab/workloads/metrics.ts';
import type { FlowReport } from '../../lab/workloads/probe/flows.ts';
import type { Gap } from '../../lab/workloads/probe/meter.ts';
import { capacityMbps, windowGoodputMbps } from '../../lab/workloads/throughput.ts';
import { testScenario } from '../helpers/scenarios.ts';

test('goodput: 125,000 bytes per 100 ms bin is 10 Mbit/s; flows add up bin by bin', (t) => {
  t.is(binsMbps([125_000, 125_000], 0, 2, 100), 10);
  t.deepEqual(sumBins([{ bins: [1, 2] }, { bins: [10, 20, 30] }] as FlowReport[]), [11, 22, 30]);
  t.throws(() => binsMbps([1], 1, 1, 100));
});

test('throughput: one goodput over the whole window after the omitted start; capacity is link A + link B', async (t) => {
  // 100 ms bins: a burst of 1 MB in the first 2 s (left out), then 125,000 bytes per bin (10 Mbit/s) for 8 s.
  const bins = [...Array(20).fill(50_000), ...Array(80).fill(125_000)];
  t.is(windowGoodputMbps([bins], 2000, 10_000), 10);
  t.is(windowGoodputMbps([bins, bins], 2000, 10_000), 20);
  t.deepEqual(caughtUpSpan(bins, 20, 100, 10), { fromBin: 20, toBin: 100 });
  // A flow that broke halfway counts with its silence (fixed ends): half the goodput.
  t.is(windowGoodputMbps([[...Array(20).fill(0), ...Array(40).fill(125_000)]], 2000, 10_000, true), 5);
  const lossyWisp = await testScenario('lossy-wisp');
  t.is(capacityMbps(lossyWisp, 'down'), 20);
  t.is(capacityMbps(lossyWisp, 'up'), 5);
});

test('throughput: bytes a reorder queue held across an end of the window neither add to nor take from its goodput', (t) => {
  const steady = 125_000; // 10 Mbit/s in 100 ms bins
  // Held from 1.7 s, released at 2.3 s: 0.3 s of bytes that arrived before the window (from 2 s) count in it.
  const heldAtStart = Array.from({ length: 100 }, (_, i) => (i >= 17 && i < 23 ? 0 : i === 23 ? 7 * steady : steady));
  t.true(binsMbps(heldAtStart, 20, 100, 100) > 10.3);
  t.deepEqual(caughtUpSpan(heldAtStart, 20, 100, 10), { fromBin: 24, toBin: 100 });
  t.is(windowGoodputMbps([heldAtStart], 2000, 10_000), 10);
  // Held from 9.7 s and released after the window: its last 0.3 s are silent.
  const heldAtEnd = Array.from({ length: 101 }, (_, i) => (i >= 97 && i < 100 ? 0 : i === 100 ? 4 * steady : steady));
  t.true(binsMbps(heldAtEnd, 20, 100, 100) < 9.7);
  t.is(windowGoodputMbps([heldAtEnd], 2000, 10_000), 10);
  // Each flow has its own reorder queue and its own caught-up ends.
  t.is(windowGoodputMbps([heldAtStart, heldAtEnd], 2000, 10_000), 20);
  // Each end moves by at most the search; a window too short for it is refused.
  t.is(caughtUpSpan(heldAtStart, 20, 100, 2).fromBin, 20);
  t.throws(() => caughtUpSpan(heldAtStart, 20, 40, 10), { message: 'caughtUpSpan: the span is too short for its search' });
});

/** 10 ms bins of a download: `bytesAt(ms)` bytes in the bin starting at ms; the gaps are the runs of empty bins. */
function series(endMs: number, bytesAt: (ms: number) => number): DownloadSeries {
  const bins = Array.from({ length: endMs / FIGURE_BIN_MS }, (_, i) => bytesAt(i * FIGURE_BIN_MS));
  const gaps: Gap[] = [];
  let last: number | null = null;
  bins.forEach((bytes, i) => {
    if (bytes === 0) return;
    const atMs = i * FIGURE_BIN_MS;
    if (last !== null && atMs - last > FIGURE_BIN_MS) gaps.push({ startMs: last, endMs: atMs });
    last = atMs;
  });
  if (last !== null && endMs - last > FIGURE_BIN_MS) gaps.push({ startMs: last, endMs });
  return { bins, gaps, firstMs: bins.findIndex((b) => b > 0) * FIGURE_BIN_MS, endMs };
}

// Link down at 3002 ms, back at 6004 ms (as played: not on a bin edge); the window ends at 11,000 ms.
const OUTAGE = { downMs: 3002, upMs: 6004 };
const END_MS = 11_000;
const FULL = 1000;

test('recovery: goodput back 100 ms and 600 ms after the return gives recovery_ms within 10 ms of each', (t) => {
  // During the outage the other link carries 80 %; when the data held back arrives (a burst
  // in the 10 ms before `upMs + d`), the 500 ms window ending there first holds 90 %.
  for (const d of [100, 600]) {
    const burstBin = Math.floor((OUTAGE.upMs + d) / FIGURE_BIN_MS) - 1;
    const s = series(END_MS, (ms) => (ms < OUTAGE.downMs ? FULL : ms / FIGURE_BIN_MS === burstBin ? 6 * FULL : ms > OUTAGE.upMs + d ? FULL : 0.8 * FULL));
    const figure = recovery(s, OUTAGE);
    t.false(figure.censored);
    t.true(Math.abs(figure.value - d) <= 10, `recovery ${figure.value} ms for ${d} ms`);
  }
});

test('recovery is timed at the end of its 500 ms window: full rate from 100 ms after the return reaches 90 % 450 ms later', (t) => {
  const s = series(END_MS, (ms) => (ms < OUTAGE.downMs || ms >= OUTAGE.upMs + 100 ? FULL : 0));
  const figure = recovery(s, OUTAGE);
  t.false(figure.censored);
  t.true(Math.abs(figure.value - 550) <= 10, String(figure.value));
});

test('a download that never recovers gives a censored recovery at the end of the window', (t) => {
  const s = series(END_MS, (ms) => (ms < OUTAGE.downMs ? FULL : ms < OUTAGE.upMs ? 0 : 0.5 * FULL));
  t.deepEqual(recovery(s, OUTAGE), { value: END_MS - OUTAGE.upMs, censored: true });
  // Nothing before the outage: nothing to recover to, also censored.
  t.true(recovery(series(END_MS, (ms) => (ms > OUTAGE.upMs ? FULL : ms < 100 ? FULL : 0)), OUTAGE).censored);
});

test('stall: the longest gap overlapping the outage, measured from its own start even before the outage', (t) => {
  // Bytes stop at 2800 ms (the link already failing), resume at 6200 ms; an earlier, longer gap does not overlap.
  const s = series(END_MS, (ms) => ((ms >= 100 && ms < 1000) || (ms >= 2500 && ms <= 2800) || ms >= 6200 ? FULL : 0));
  t.deepEqual(stall(s, OUTAGE), { value: 6200 - 2800, censored: false });
  // A gap that runs to the window's end never ended: censored there.
  const dead = series(END_MS, (ms) => (ms <= 3000 ? FULL : 0));
  t.deepEqual(stall(dead, OUTAGE), { value: END_MS - 3000, censored: true });
  t.false(deliveredAfter(dead, OUTAGE));
  // No gap of 10 ms or more during the outage: no stall.
  t.deepEqual(stall(series(END_MS, () => FULL), OUTAGE), { value: 0, censored: false });
});

test('outage goodput ratio: bytes while the link was down over the rate of the link that stayed up', (t) => {
  // 10 ms bins of 5000 bytes = 4 Mbit/s during the outage, against an 8 Mbit/s link.
  const s = series(END_MS, (ms) => (ms >= OUTAGE.downMs && ms < OUTAGE.upMs ? 5000 : FULL));
  t.true(Math.abs(outageGoodputRatio(s, OUTAGE, 8e6) - 0.5) < 1e-9);
});

test('attempts: a failed or late attempt is its timeout, censored; an attempt not made is a censored failure', (t) => {
  const info = metric('ttfb_ms');
  t.deepEqual(latencySample(info, 42, 3000, 10), { metric: info, value: 42, atMs: 10 });
  t.deepEqual(latencySample(info, null, 3000, 10), { metric: info, value: 3000, atMs: 10, censored: true });
  t.deepEqual(latencySample(info, 3500, 3000, 10), { metric: info, value: 3000, atMs: 10, censored: true });
  const ratio = metric('success_ratio');
  t.deepEqual(successSample(ratio, false, null, true), { metric: ratio, value: 0, atMs: null, censored: true });
  t.deepEqual(successSample(ratio, true, 5), { metric: ratio, value: 1, atMs: 5 });
});

test('hol echoes: idle if answered (or lost) before the load, loaded once it settled, in between neither', (t) => {
  const loadStartMs = 1000;
  t.is(echoPhase({ seq: 0, sentMs: 900, rttMs: 50 }, loadStartMs), 'idle');
  t.is(echoPhase({ seq: 1, sentMs: 900, rttMs: null }, loadStartMs), 'idle');
  t.is(echoPhase({ seq: 2, sentMs: 980, rttMs: 50 }, loadStartMs), 'transition');
  t.is(echoPhase({ seq: 3, sentMs: 1200, rttMs: 400 }, loadStartMs), 'transition');
  t.is(echoPhase({ seq: 4, sentMs: 1500, rttMs: null }, loadStartMs), 'loaded');
});

test('metric keys: throughput keys carry direction and flows, failover keys the link; the unit suffix stays last', (t) => {
  t.is(metric('goodput_mbps', { direction: 'down', flows: 1 }).key, 'goodput_down_1flow_mbps');
  t.is(metric('goodput_mbps', { direction: 'up', flows: 4 }).key, 'goodput_up_4flows_mbps');
  t.is(metric('aggregation', { direction: 'down', flows: 4 }).key, 'aggregation_down_4flows');
  t.is(metric('stall_ms', { link: 'a' }).key, 'stall_link_a_ms');
  t.is(metric('new_connect_success_ratio', { link: 'b' }).key, 'new_connect_success_ratio_link_b');
  t.like(metric('survived', { link: 'b' }), { key: 'survived_link_b', link: 'b', unit: 'fraction', better: 'higher' });
  t.like(metric('ttfb_ms'), { key: 'ttfb_ms', unit: 'ms', better: 'lower', workloads: ['connect'] });
  t.deepEqual(metric('success_ratio').workloads, ['connect', 'pageload']);
});
