// A link's capacity from packet trains, as pure arithmetic on arrival times: a train's
// datagrams leave back to back, so the link's bottleneck spaces them by its rate, and the
// bytes after the first over the spread from first to last arrival is that rate (packet
// dispersion). Traffic from others on the link widens the spread: what is measured is
// what the link has to spare, which is what a joining subflow would get. A late event loop
// at the receiver reads datagrams in a bunch, narrowing it: an estimate errs high, never
// low, and a link estimated too fast is tried and measured by the trial. Each direction
// keeps its last few estimates; their median is the figure.
import { median } from 'simple-statistics';

export interface Arrival {
  atMs: number;
  bytes: number;
}

/** What one train's arrivals show: its spread and the bytes that arrived after the first. */
export interface Dispersion {
  spreadMs: number;
  bytes: number;
}

/** The dispersion of arrivals in the order they came; undefined for fewer than two. */
export function dispersionOf(arrivals: readonly Arrival[]): Dispersion | undefined {
  const first = arrivals[0];
  const last = arrivals.at(-1);
  if (!first || !last || arrivals.length < 2) return undefined;
  let bytes = 0;
  for (const arrival of arrivals.slice(1)) bytes += arrival.bytes;
  return { spreadMs: last.atMs - first.atMs, bytes };
}

/** Bytes per ms a dispersion shows; undefined when it has no spread (read in one bunch: nothing to tell). */
export function dispersionRate(dispersion: Dispersion | undefined): number | undefined {
  if (!dispersion || dispersion.spreadMs <= 0 || dispersion.bytes <= 0) return undefined;
  return dispersion.bytes / dispersion.spreadMs;
}

/** Estimates kept per direction: one odd train (a burst of other traffic) does not move the median. */
export const CAPACITY_ESTIMATES_KEPT = 5;

/** The last few capacity estimates of one link in one direction, and their median. */
export class CapacityEstimate {
  #bytesPerMs: number[] = [];

  add(bytesPerMs: number): void {
    this.#bytesPerMs = [...this.#bytesPerMs, bytesPerMs].slice(-CAPACITY_ESTIMATES_KEPT);
  }

  /** The median of the estimates kept; undefined before the first. */
  get bytesPerMs(): number | undefined {
    return this.#bytesPerMs.length === 0 ? undefined : median(this.#bytesPerMs);
  }
}
