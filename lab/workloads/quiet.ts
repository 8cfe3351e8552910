// Before each measurement window: wait (bounded) until both emulated links have carried
// no traffic for a while, so that bytes a previous window or workload left queued (in
// relays' socket buffers, in the links' queues) do not flow into this one.
import type { LinkCounters, Topology } from '../topology/types.ts';

/** The links must stay this long without traffic. */
export const QUIET_MS = 200;
/** A quiet link may still carry this much in QUIET_MS: a stray ACK or keepalive, not a transfer. */
const QUIET_BYTES = 1500;
const POLL_MS = 50;
const QUIET_LIMIT_MS = 5_000;

export interface QuietOutcome {
  quiet: boolean;
  waitedMs: number;
  /** Bytes the links carried in the last QUIET_MS before giving up (0 when quiet). */
  lastBytes: number;
}

const sentBytes = (counters: LinkCounters[]) => counters.reduce((sum, c) => sum + c.down.sentBytes + c.up.sentBytes, 0);

export async function awaitQuietLinks(topology: Topology, limitMs = QUIET_LIMIT_MS): Promise<QuietOutcome> {
  const links = [topology.links.a, topology.links.b];
  const read = async () => sentBytes(await Promise.all(links.map((l) => l.counters())));
  const startMs = performance.now();
  const history: { atMs: number; bytes: number }[] = [{ atMs: startMs, bytes: await read() }];
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const now = { atMs: performance.now(), bytes: await read() };
    history.push(now);
    // The oldest reading at least QUIET_MS back: what the links carried since then.
    const since = history.filter((h) => h.atMs <= now.atMs - QUIET_MS).at(-1);
    const lastBytes = since ? now.bytes - since.bytes : Number.POSITIVE_INFINITY;
    if (since && lastBytes <= QUIET_BYTES) return { quiet: true, waitedMs: now.atMs - startMs, lastBytes: 0 };
    if (now.atMs - startMs >= limitMs) return { quiet: false, waitedMs: now.atMs - startMs, lastBytes };
  }
}

/** The lab error for a window that could not get quiet links, or null. */
export function quietError(outcome: QuietOutcome, what: string): string | null {
  return outcome.quiet ? null : `links not quiet before ${what}: ${outcome.lastBytes} bytes in the last ${QUIET_MS} ms after ${Math.round(outcome.waitedMs)} ms of waiting`;
}
