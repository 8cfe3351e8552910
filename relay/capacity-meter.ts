// The local's capacity trains: what each link can carry up and down, before any connection
// has tried it. A train of TRAIN_COUNT datagrams goes up a link back to back; the remote
// answers with a train down carrying how the train up arrived; the arrivals of the train
// down give the other direction (dispersion.ts). The path manager skips a bulk trial on a
// link known to be too slow to add enough (bulk.ts): a 1 Mbit/s uplink beside a 10 Mbit/s
// one costs a trial's worth of stalls and gains nothing. Without these figures the first
// trial on every link and direction is the only way to learn that.
import { CapacityEstimate, dispersionOf, dispersionRate } from './dispersion.ts';
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import { TrainCollector } from './train-collector.ts';
import { decodeTrainDatagram, encodeTrainDatagram, type TrainDatagram } from './train-wire.ts';

/** Datagrams per train: 8 x 1200 bytes spread 67 ms on a 1 Mbit/s link, within 4 % of its rate (fast-slow's link B, 10 trains). */
export const TRAIN_COUNT = 8;
/** A train up not answered within this long is forgotten (an answer after it is dropped). */
const ANSWER_TIMEOUT_MS = 5000;

export type CapacityDirection = 'up' | 'down';

export interface CapacityMeterOptions {
  /** The links' names, in the local's `links` order (a train carries the index). */
  links: readonly string[];
  key: () => { id: number; secret: Buffer };
  /** Sends a datagram to the remote over a link (by index). */
  send: (link: number, datagram: Buffer) => void;
  metrics: RelayMetrics;
  log: Logger;
}

export class CapacityMeter {
  readonly #options: CapacityMeterOptions;
  readonly #estimates: Array<Record<CapacityDirection, CapacityEstimate>>;
  /** Trains sent up and not yet answered: train id -> link index and when. */
  readonly #sent = new Map<number, { link: number; atMs: number }>();
  readonly #answers = new TrainCollector<TrainDatagram>(64);
  #trainId = Math.floor(Math.random() * 0xffffffff);

  constructor(options: CapacityMeterOptions) {
    this.#options = options;
    this.#estimates = options.links.map(() => ({ up: new CapacityEstimate(), down: new CapacityEstimate() }));
  }

  /** A link's capacity in one direction, in bytes per ms (the median of its last trains); undefined before its first answered train. */
  bytesPerMs(link: number, direction: CapacityDirection): number | undefined {
    return this.#estimates[link]?.[direction].bytesPerMs;
  }

  /** Sends a train up `link`, back to back. */
  measure(link: number, nowMs: number): void {
    const key = this.#options.key();
    const trainId = (this.#trainId = (this.#trainId + 1) >>> 0);
    this.#sent.set(trainId, { link, atMs: nowMs });
    const sentAtMs = performance.timeOrigin + nowMs;
    for (let index = 0; index < TRAIN_COUNT; index++) {
      this.#options.send(link, encodeTrainDatagram({ kind: 'up', keyId: key.id, link, count: TRAIN_COUNT, trainId, index, sentAtMs, upSpreadUs: 0, upBytes: 0 }, key.secret));
    }
  }

  /** A train-sized datagram that came in over `link` at `atMs`. */
  received(link: number, datagram: Buffer, atMs: number): void {
    const key = this.#options.key();
    const decoded = decodeTrainDatagram(datagram, (id) => (id === key.id ? key.secret : undefined));
    if (typeof decoded === 'string' || decoded.kind !== 'down' || decoded.link !== link || this.#sent.get(decoded.trainId)?.link !== link) return;
    const train = this.#answers.add(String(decoded.trainId), decoded, atMs);
    if (train) this.#answered(train.first, train.arrivals);
  }

  /** Judges trains down whose last datagram was lost, and forgets trains up never answered. */
  expire(nowMs: number): void {
    for (const train of this.#answers.expire(nowMs)) this.#answered(train.first, train.arrivals);
    for (const [trainId, sent] of this.#sent) if (nowMs - sent.atMs > ANSWER_TIMEOUT_MS) this.#sent.delete(trainId);
  }

  #answered(first: TrainDatagram, arrivals: readonly { atMs: number; bytes: number }[]): void {
    this.#sent.delete(first.trainId);
    const up = dispersionRate({ spreadMs: first.upSpreadUs / 1000, bytes: first.upBytes });
    const down = dispersionRate(dispersionOf(arrivals));
    const name = this.#options.links[first.link] ?? String(first.link);
    for (const [direction, bytesPerMs] of [['up', up], ['down', down]] as const) {
      if (bytesPerMs === undefined) continue;
      const estimate = this.#estimates[first.link]?.[direction];
      estimate?.add(bytesPerMs);
      const median = estimate?.bytesPerMs;
      if (median !== undefined) this.#options.metrics.linkCapacity.set({ link: name, direction }, median * 1000);
    }
    this.#options.log.debug('link capacity train', {
      link: name,
      upBytesPerSecond: up === undefined ? null : Math.round(up * 1000),
      downBytesPerSecond: down === undefined ? null : Math.round(down * 1000),
      downDatagrams: arrivals.length,
    });
  }
}
