// The arithmetic that turns receiver bins into metrics, on hand-made bins.
import test from 'ava';
import { failoverFigures } from '../../lab/workloads/failover.ts';
import { binsMbps, sumBins } from '../../lab/workloads/goodput.ts';
import { intervals } from '../../lab/workloads/throughput.ts';
import { metric } from '../../lab/workloads/metrics.ts';
import type { FlowReport } from '../../lab/workloads/probe/flows.ts';

test('goodput: 125,000 bytes per 100 ms bin is 10 Mbit/s; flows add up bin by bin', (t) => {
  t.is(binsMbps([125_000, 125_000], 0, 2, 100), 10);
  t.deepEqual(sumBins([{ bins: [1, 2] }, { bins: [10, 20, 30] }] as FlowReport[]), [11, 22, 30]);
  t.throws(() => binsMbps([1], 1, 1, 100));
});

test('throughput intervals skip the ramp-up and cover the rest in equal parts of about 1 s', (t) => {
  t.deepEqual(intervals(3000), [
    [7, 18],
    [18, 29],
  ]);
  t.is(intervals(6000).length, 5);
  for (const [from, to] of intervals(6000)) t.is(to - from, 10);
});

function flow(bins: number[], maxGapMs: number, error: string | null = null): FlowReport {
  const bytes = bins.reduce((a, b) => a + b, 0);
  return { stream: 0, bytes, verified: true, bins, binMs: 50, firstMs: 1, lastMs: 1, maxGapMs, error };
}

test('failover: recovery is counted from the link coming back to the first 500 ms window at 90 % of the goodput before', (t) => {
  // 50 ms bins: 3 s at 1000 bytes/bin, 2 s outage (nothing), then half rate for 1 s, then full rate.
  const bins = [...Array(60).fill(1000), ...Array(40).fill(0), ...Array(20).fill(500), ...Array(40).fill(1000)];
  const figures = failoverFigures(flow(bins, 2000), 3000, 5000, 8000);
  t.true(figures.survived);
  t.is(figures.stallMs, 2000);
  // The first window with >= 90 %: starts at bin 119 (one half-rate bin + nine full ones = 95 %).
  t.is(figures.recoveryMs, 119 * 50 - 5000);
});

test('failover: no recovery sample when goodput never comes back; a broken connection did not survive', (t) => {
  const bins = [...Array(60).fill(1000), ...Array(40).fill(0), ...Array(60).fill(300)];
  t.is(failoverFigures(flow(bins, 2000), 3000, 5000, 8000).recoveryMs, null);
  const dead = [...Array(60).fill(1000)];
  t.false(failoverFigures(flow(dead, 5000, 'ECONNRESET'), 3000, 5000, 8000).survived);
  t.false(failoverFigures(flow(dead, 5000), 3000, 5000, 8000).survived, 'no byte after the link came back');
});

test('metric keys: throughput keys carry direction and flows, the unit suffix stays last', (t) => {
  t.is(metric('goodput_mbps', { direction: 'down', flows: 1 }).key, 'goodput_down_1flow_mbps');
  t.is(metric('goodput_mbps', { direction: 'up', flows: 4 }).key, 'goodput_up_4flows_mbps');
  t.is(metric('aggregation', { direction: 'down', flows: 4 }).key, 'aggregation_down_4flows');
  t.like(metric('ttfb_ms'), { key: 'ttfb_ms', unit: 'ms', better: 'lower', workload: 'connect' });
});
