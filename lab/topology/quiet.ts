// Before each workload the run waits until the links are quiet: what the previous
// workload (or the system's start) left queued in relays and link queues drains, so it
// is not counted against the next workload. Quiet, from the emulators' own counters: in
// each direction of each link, at most QUIET_MAX_BYTES arrived over the last QUIET_MS and
// at most as much held (a relay's link probe in flight is not data). Bounded: a link that does not get
// quiet within the timeout is reported, and the workload that follows is flagged.
import type { LinkControl, LinkCounters } from './types.ts';

export const QUIET_MS = 200;
export const QUIET_TIMEOUT_MS = 5_000;
/** What may cross within QUIET_MS on a quiet link: a few control packets (keepalives, a relay's link probes), no data. */
export const QUIET_MAX_BYTES = 1500;
const POLL_MS = 25;

export interface QuietWait {
  waitedMs: number;
  quiet: boolean;
  /** When not quiet: what was still moving at the end. */
  busy?: string;
}

interface Reading {
  atMs: number;
  counters: LinkCounters[];
}

const arrived = (c: LinkCounters['up']) => c.arrivedBytes ?? c.sentBytes;

/** Why a window [from, to] of readings is not quiet, or undefined if it is. */
export function busyIn(links: readonly LinkControl[], from: Reading, to: Reading): string | undefined {
  const problems: string[] = [];
  links.forEach((link, i) => {
    for (const direction of ['up', 'down'] as const) {
      const before = from.counters[i]![direction];
      const now = to.counters[i]![direction];
      const bytes = arrived(now) - arrived(before);
      const held = now.backlogBytes ?? 0;
      if (bytes > QUIET_MAX_BYTES || held > QUIET_MAX_BYTES) problems.push(`link ${link.name} ${direction}: ${bytes} B arrived in ${Math.round(to.atMs - from.atMs)} ms, ${held} B held`);
    }
  });
  return problems.length ? problems.join('; ') : undefined;
}

export async function waitForQuietLinks(links: readonly LinkControl[], timeoutMs = QUIET_TIMEOUT_MS): Promise<QuietWait> {
  const startMs = performance.now();
  const readings: Reading[] = [];
  let busy: string | undefined = 'no reading yet';
  for (;;) {
    const reading = { atMs: performance.now(), counters: await Promise.all(links.map((link) => link.counters())) };
    readings.push(reading);
    // The newest reading at least QUIET_MS old starts the window.
    let fromIndex = readings.length - 1;
    while (fromIndex >= 0 && readings[fromIndex]!.atMs > reading.atMs - QUIET_MS) fromIndex--;
    if (fromIndex >= 0) {
      busy = busyIn(links, readings[fromIndex]!, reading);
      if (busy === undefined) return { waitedMs: reading.atMs - startMs, quiet: true };
      readings.splice(0, fromIndex);
    }
    if (reading.atMs - startMs >= timeoutMs) return { waitedMs: reading.atMs - startMs, quiet: false, busy };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The lab error for a measurement window that could not start on quiet links, or null. */
export function quietError(wait: QuietWait, what: string): string | null {
  return wait.quiet ? null : `links not quiet before ${what} after ${Math.round(wait.waitedMs)} ms of waiting: ${wait.busy}`;
}
