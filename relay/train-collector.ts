// The trains arriving at one end, datagram by datagram: a train is complete when its last
// datagram arrives, or, if that one was lost, once it has waited TRAIN_TIMEOUT_MS from its
// first. Bounded: past maxPending trains in collection, a new one is not collected (only
// verified datagrams reach here, so only a key holder can fill it).
import type { Arrival } from './dispersion.ts';
import { TRAIN_BYTES } from './train-wire.ts';

/** A train whose last datagram is lost is judged on what came this long after its first (a train lasts well under it on any link worth joining). */
export const TRAIN_TIMEOUT_MS = 1000;

interface Place {
  count: number;
  index: number;
}

export interface CollectedTrain<T> {
  /** The first datagram that arrived (what every one of the train carries alike). */
  first: T;
  arrivals: Arrival[];
}

interface Pending<T> extends CollectedTrain<T> {
  firstMs: number;
}

export class TrainCollector<T extends Place> {
  readonly #pending = new Map<string, Pending<T>>();
  readonly #maxPending: number;

  constructor(maxPending: number) {
    this.#maxPending = maxPending;
  }

  /** Adds one datagram of the train `key`, arrived at `atMs`; returns the train when this datagram was its last. */
  add(key: string, datagram: T, atMs: number): CollectedTrain<T> | undefined {
    let pending = this.#pending.get(key);
    if (!pending) {
      if (this.#pending.size >= this.#maxPending) return undefined;
      pending = { first: datagram, arrivals: [], firstMs: atMs };
      this.#pending.set(key, pending);
    }
    pending.arrivals.push({ atMs, bytes: TRAIN_BYTES });
    if (datagram.index < datagram.count - 1) return undefined;
    this.#pending.delete(key);
    return { first: pending.first, arrivals: pending.arrivals };
  }

  /** The trains whose last datagram has not come within TRAIN_TIMEOUT_MS of their first, with what did. */
  expire(nowMs: number): Array<CollectedTrain<T>> {
    const expired: Array<CollectedTrain<T>> = [];
    for (const [key, pending] of this.#pending) {
      if (nowMs - pending.firstMs < TRAIN_TIMEOUT_MS) continue;
      this.#pending.delete(key);
      expired.push({ first: pending.first, arrivals: pending.arrivals });
    }
    return expired;
  }
}
