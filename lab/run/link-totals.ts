// The run's link counters (results.json `links`): every block has emulators of its own,
// so the run's figures are the blocks' summed, and their lateness the worst block's.
import type { BlockRecord, Results } from '../report/results.ts';
import type { DirectionCounters, LinkCounters } from '../topology/types.ts';

const ZERO: DirectionCounters = { sentPackets: 0, sentBytes: 0, lossDrops: 0, queueDrops: 0, outageDrops: 0 };

const max = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));

function addDirection(t: DirectionCounters, c: DirectionCounters): DirectionCounters {
  return {
    sentPackets: t.sentPackets + c.sentPackets,
    sentBytes: t.sentBytes + c.sentBytes,
    lossDrops: t.lossDrops + c.lossDrops,
    queueDrops: t.queueDrops + c.queueDrops,
    outageDrops: t.outageDrops + c.outageDrops,
    ...(c.latenessP99Us !== undefined && { latenessP99Us: max(t.latenessP99Us, c.latenessP99Us)!, latenessMaxUs: max(t.latenessMaxUs, c.latenessMaxUs)! }),
  };
}

/** Link counters summed over blocks; lateness figures are the worst block's. */
export function linkTotals(blocks: readonly BlockRecord[]): Results['links'] {
  const totals: Results['links'] = {};
  for (const block of blocks) {
    for (const [name, link] of Object.entries(block.links)) {
      const total: LinkCounters = totals[name] ?? { up: ZERO, down: ZERO };
      const cpuSeconds = total.cpuSeconds === undefined && link.cpuSeconds === undefined ? undefined : (total.cpuSeconds ?? 0) + (link.cpuSeconds ?? 0);
      const rtPriority = link.rtPriority === undefined ? total.rtPriority : Math.min(total.rtPriority ?? link.rtPriority, link.rtPriority);
      totals[name] = {
        up: addDirection(total.up, link.up),
        down: addDirection(total.down, link.down),
        ...(cpuSeconds !== undefined && { cpuSeconds }),
        ...(rtPriority !== undefined && { rtPriority }),
      };
    }
  }
  return totals;
}


