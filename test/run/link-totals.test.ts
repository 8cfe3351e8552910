import test from 'ava';
import type { BlockRecord } from '../../lab/report/results.ts';
import { linkTotals } from '../../lab/run/link-totals.ts';

const counters = (packets: number, p99Us: number) => ({ sentPackets: packets, sentBytes: packets * 1500, lossDrops: 1, queueDrops: 2, outageDrops: 3, latenessP99Us: p99Us, latenessMaxUs: p99Us * 2 });

function block(packets: number, p99Us: number, rtPriority: number): BlockRecord {
  return {
    phase: 'measure',
    system: 'mprelay',
    repetition: 1,
    position: 0,
    attempt: 1,
    kept: true,
    startedAt: new Date().toISOString(),
    durationMs: 1,
    setupMs: 0,
    teardownMs: 0,
    workloads: [],
    health: null,
    blackhole: null,
    links: { a: { up: counters(packets, p99Us), down: counters(packets * 2, p99Us), cpuSeconds: 0.5, rtPriority } },
    flags: [],
  };
}

test("the run's counters are the blocks' summed; lateness and priority the worst block's", (t) => {
  t.deepEqual(linkTotals([block(10, 50, 10), block(20, 900, 0)]), {
    a: {
      up: { sentPackets: 30, sentBytes: 45_000, lossDrops: 2, queueDrops: 4, outageDrops: 6, latenessP99Us: 900, latenessMaxUs: 1800 },
      down: { sentPackets: 60, sentBytes: 90_000, lossDrops: 2, queueDrops: 4, outageDrops: 6, latenessP99Us: 900, latenessMaxUs: 1800 },
      cpuSeconds: 1,
      rtPriority: 0,
    },
  });
  t.deepEqual(linkTotals([]), {});
});
