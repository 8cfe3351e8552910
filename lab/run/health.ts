// Whether the link emulators kept time during a block: lateness (departure after the
// due time) p50/p99/max per link and direction, the delay they applied, and whether
// they ran at real-time priority. A block whose worst lateness p99 is above
// LATENESS_P99_LIMIT_US measured the machine's scheduler, not the links: the run
// repeats it once, and flags it if it stays bad.
import type { LinkCounters } from '../topology/types.ts';

export const LATENESS_P99_LIMIT_US = 1000;

export interface DirectionHealth {
  latenessP50Us: number;
  latenessP99Us: number;
  latenessMaxUs: number;
  appliedDelayMeanUs: number;
  appliedDelaySdUs: number;
}

export interface BlockHealth {
  /** The lowest real-time priority any emulator got (0: none). */
  rtPriority: number;
  links: Record<string, { up: DirectionHealth; down: DirectionHealth }>;
  worstLatenessP99Us: number;
  bad: boolean;
}

function directionHealth(c: LinkCounters['up']): DirectionHealth | undefined {
  if (c.latenessP50Us === undefined || c.latenessP99Us === undefined || c.latenessMaxUs === undefined) return undefined;
  return { latenessP50Us: c.latenessP50Us, latenessP99Us: c.latenessP99Us, latenessMaxUs: c.latenessMaxUs, appliedDelayMeanUs: c.appliedDelayMeanUs ?? 0, appliedDelaySdUs: c.appliedDelaySdUs ?? 0 };
}

/** The block's health from its emulators' counters; null when the backend keeps no lateness (netem: the kernel's timers). */
export function blockHealth(counters: Record<string, LinkCounters>): BlockHealth | null {
  const links: BlockHealth['links'] = {};
  let rtPriority = Number.POSITIVE_INFINITY;
  for (const [name, link] of Object.entries(counters)) {
    const up = directionHealth(link.up);
    const down = directionHealth(link.down);
    if (!up || !down || link.rtPriority === undefined) return null;
    links[name] = { up, down };
    rtPriority = Math.min(rtPriority, link.rtPriority);
  }
  const p99s = Object.values(links).flatMap((l) => [l.up.latenessP99Us, l.down.latenessP99Us]);
  if (p99s.length === 0) return null;
  const worstLatenessP99Us = Math.max(...p99s);
  return { rtPriority, links, worstLatenessP99Us, bad: worstLatenessP99Us > LATENESS_P99_LIMIT_US };
}
