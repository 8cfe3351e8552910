// Whether one connection is bulk, from its goodput sampled a few times a second, as pure
// arithmetic on times and byte counts. A connection busy without pause for several round
// trips of the slowest link that would join it is tried as bulk: its other links send
// too. The trial lasts long enough for that link to open its window (its round trips
// again); the links stay on only if the goodput of the trial's second half beats that of
// the single path before by `minGain`. Else the connection goes back to one path and may
// try again later, each failure doubling the wait. A trial is skipped when the links that
// would join carried less than `joinMinShare` of its goodput in their last trials, or, not
// yet tried, can carry less than that by their measured capacity (a slow link beside a
// fast one: the trial would only cost), and given up from half-way on when
// they carry less than half that share and are no longer starting up. An idle connection
// is interactive again.
export interface BulkOptions {
  /** A sample counts as busy when it moved at least this many bytes per second (either direction). */
  busyBytesPerSecond: number;
  /** Busy without pause for this long, at least... */
  bulkAfterMs: number;
  /** ...and for this many round trips of the slowest link that would join, makes a trial. */
  bulkRttFactor: number;
  /** A trial lasts this long, at least, and this many of that link's round trips. */
  trialMinMs: number;
  trialRttFactor: number;
  /** The other links stay only if goodput rises by this share (0.1: 10 %). */
  minGain: number;
  /** No trial when the links that would join are known to add less than this share of the goodput. */
  joinMinShare: number;
  /** After a failed trial, the next one waits this long, doubled per failure up to 8 times as long. */
  retryAfterMs: number;
  /** Not busy for this long makes the connection interactive again. */
  idleAfterMs: number;
}

export type BulkPhase = 'interactive' | 'trial' | 'bulk';

/** What a sample changed, for the log and metrics. */
export type BulkEvent = 'trial' | 'skipped' | 'kept' | 'failed' | 'idle';

/** What is known of the links that would join a connection. */
export interface JoinOutlook {
  /** The round trip of the slowest of them. */
  rttMs: number;
  /** What they can add together, in bytes per ms: what they carried in their last trials, or their measured capacity; undefined when not known (then a trial finds out). */
  expectedBytesPerMs: number | undefined;
}

/** A trial under way: when it began and how long it lasts. */
export interface Trial {
  startMs: number;
  lengthMs: number;
}

/** What a connection moved since the sample before, the larger direction each. */
export interface Moved {
  /** In order at the connection level: what the application got (or the peer acknowledged). */
  goodputBytes: number;
  /** Over its subflows, each in its own order: what crossed the links, held for reordering or not. */
  wireBytes: number;
  /** Of the wire bytes, what the sender sent a second time at the connection level (0 where the sender is the peer: not known here). */
  resentBytes: number;
  /** Of the wire bytes, what the links a trial joins carried (all but the connection's first). */
  joinedBytes: number;
}

interface Sample extends Moved {
  atMs: number;
  /** The time since the sample before: what the bytes moved in (a late timer makes it longer). */
  intervalMs: number;
}

const MAX_RETRY_DOUBLINGS = 3;

/**
 * Joined links whose rate rose by more than this from one quarter of the trial to the next
 * are still starting up, and are not given up. A path in start-up more than doubles its
 * rate per round trip, a quarter trial spans several; a path at its rate stays near 1. On
 * satellite-backup the 600 ms link joining a download rose 4 x from the first quarter to
 * the second, under the bar still at half-way, and carried 0.63 MB/s over the second half.
 */
const START_UP_GROWTH = 1.5;

/** What a trial is judged on: the wire bytes less what was sent twice (see #rate). */
const sentOnceBytes = (sample: Sample) => Math.max(0, sample.wireBytes - sample.resentBytes);
/** What the joined links carried: what giving a trial up is judged on. */
const joinedBytes = (sample: Sample) => sample.joinedBytes;

export class BulkDetector {
  readonly #options: BulkOptions;
  #phase: BulkPhase = 'interactive';
  #samples: Sample[] = [];
  #lastMs: number;
  #busySinceMs: number | undefined;
  #idleSinceMs: number | undefined;
  #trialStartMs = 0;
  #trialMs = 0;
  #rateBefore = 0;
  #rateAfter = 0;
  #failures = 0;
  #retryAtMs = -Infinity;

  constructor(options: BulkOptions, startMs: number) {
    this.#options = options;
    this.#lastMs = startMs;
  }

  get phase(): BulkPhase {
    return this.#phase;
  }

  /** Whether the connection's other links should send now (in a trial or kept). */
  get bulk(): boolean {
    return this.#phase !== 'interactive';
  }

  /** The trial under way, if one is. */
  get trial(): Trial | undefined {
    return this.#phase === 'trial' ? { startMs: this.#trialStartMs, lengthMs: this.#trialMs } : undefined;
  }

  /** The goodput the last trial was judged on, in bytes per ms: before it, and over its second half (0 until one ends). */
  get lastTrialRates(): { before: number; after: number } {
    return { before: this.#rateBefore, after: this.#rateAfter };
  }

  /**
   * The links changed under a trial (one died or came back): what it measures is no longer
   * what it set out to, so it starts again now, judged against the same goodput before.
   * True when there was a trial to restart.
   */
  restartTrial(nowMs: number, joinRttMs: number): boolean {
    if (this.#phase !== 'trial') return false;
    this.#startTrial(nowMs, joinRttMs);
    return true;
  }

  #startTrial(nowMs: number, joinRttMs: number): void {
    this.#phase = 'trial';
    this.#trialStartMs = nowMs;
    this.#trialMs = Math.max(this.#options.trialMinMs, this.#options.trialRttFactor * joinRttMs);
  }

  /**
   * `moved` since the previous sample. Busy is judged on the larger of goodput and wire
   * bytes (bytes that wait on a slow path for the ones before them are no idleness), a
   * trial on the wire bytes sent once (#rate). Returns what changed, if anything.
   */
  sample(nowMs: number, moved: Moved, join: JoinOutlook): BulkEvent | undefined {
    const joinRttMs = join.rttMs;
    const o = this.#options;
    const previousMs = this.#lastMs;
    const busy = Math.max(moved.goodputBytes, moved.wireBytes) * 1000 >= o.busyBytesPerSecond * Math.max(1, nowMs - previousMs);
    this.#lastMs = nowMs;
    this.#samples.push({ atMs: nowMs, intervalMs: Math.max(1, nowMs - previousMs), ...moved });
    if (busy) {
      // A stretch (busy or idle) began when its first sample's interval did.
      this.#busySinceMs ??= previousMs;
      this.#idleSinceMs = undefined;
    } else {
      this.#busySinceMs = undefined;
      this.#idleSinceMs ??= previousMs;
    }
    const needMs = Math.max(o.bulkAfterMs, o.bulkRttFactor * joinRttMs);
    this.#trim(nowMs - Math.max(needMs, this.#trialMs) - 1);
    if (this.#phase !== 'interactive' && this.#idleSinceMs !== undefined && nowMs - this.#idleSinceMs >= o.idleAfterMs) {
      this.#phase = 'interactive';
      return 'idle';
    }
    if (this.#phase === 'interactive') {
      if (this.#busySinceMs === undefined || nowMs - this.#busySinceMs < needMs || nowMs < this.#retryAtMs) return undefined;
      // The second half only: the first holds the single path's own start-up.
      this.#rateBefore = this.#rate(nowMs - needMs / 2, nowMs, sentOnceBytes);
      if (join.expectedBytesPerMs !== undefined && join.expectedBytesPerMs < this.#rateBefore * o.joinMinShare) {
        this.#retryAtMs = nowMs + o.retryAfterMs;
        this.#busySinceMs = nowMs;
        return 'skipped';
      }
      this.#startTrial(nowMs, joinRttMs);
      return 'trial';
    }
    if (this.#phase !== 'trial') return undefined;
    const inTrialMs = nowMs - this.#trialStartMs;
    const hopeless = inTrialMs >= this.#trialMs / 2 && this.#joinedHopeless(nowMs);
    if (hopeless || inTrialMs >= this.#trialMs) {
      const rateAfter = this.#rate(this.#trialStartMs + inTrialMs / 2, nowMs, sentOnceBytes);
      this.#rateAfter = rateAfter;
      if (!hopeless && rateAfter >= this.#rateBefore * (1 + o.minGain)) {
        this.#phase = 'bulk';
        this.#failures = 0;
        return 'kept';
      }
      this.#phase = 'interactive';
      this.#retryAtMs = nowMs + o.retryAfterMs * 2 ** Math.min(this.#failures, MAX_RETRY_DOUBLINGS);
      this.#failures++;
      this.#busySinceMs = nowMs;
      return 'failed';
    }
    return undefined;
  }

  /**
   * Whether the joined links carry under half of joinMinShare of the goodput before over the
   * last quarter of the trial, without having risen by START_UP_GROWTH over the quarter
   * before it (a long path's start-up takes much of a trial's first half).
   */
  #joinedHopeless(nowMs: number): boolean {
    const quarterMs = this.#trialMs / 4;
    const nowRate = this.#rate(nowMs - quarterMs, nowMs, joinedBytes);
    const earlierRate = this.#rate(nowMs - 2 * quarterMs, nowMs - quarterMs, joinedBytes);
    return nowRate < (this.#rateBefore * this.#options.joinMinShare) / 2 && nowRate <= earlierRate * START_UP_GROWTH;
  }

  /**
   * Bytes per millisecond, as `bytesOf` counts them, over the samples taken after `fromMs`
   * up to `toMs` and the time those samples cover. Goodput is sentOnceBytes: the subflows'
   * bytes less what was sent twice. Not the in-order bytes: on lossy links a reorder queue holds 100-350 KB for seconds
   * (lossy-wisp), so they read a window low when the queue fills across it and high when
   * it empties. The lesser of the two, judged before, failed trials whose joined link had
   * carried 37 % of the goodput before them.
   */
  #rate(fromMs: number, toMs: number, bytesOf: (sample: Sample) => number): number {
    let bytes = 0;
    let coveredMs = 0;
    for (const sample of this.#samples) {
      if (sample.atMs <= fromMs || sample.atMs > toMs) continue;
      bytes += bytesOf(sample);
      coveredMs += sample.intervalMs;
    }
    return bytes / Math.max(1, coveredMs);
  }

  #trim(beforeMs: number): void {
    let drop = 0;
    while (drop < this.#samples.length && (this.#samples[drop]?.atMs ?? Infinity) < beforeMs) drop++;
    if (drop > 0) this.#samples = this.#samples.slice(drop);
  }
}
