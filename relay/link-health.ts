// One link's verdict from its probes, as pure arithmetic on times: up after `upAfter`
// answers in a row, down after `downAfterMs` without any, or, on a link whose round trip
// is long or varies under load, after its smoothed RTT + 4 deviations + one probe
// interval (a retransmission timeout's estimate plus the probe spacing), whichever is
// longer: a slow link is not a dead one. Unknown until the first verdict.
// (Twice the smoothed RTT, tried first, kept a loaded link with bloated queues, probe RTT
// ~110 ms, alive for ~450 ms after it died: most of a download's stall.)
export type LinkVerdict = 'unknown' | 'up' | 'down';

export interface LinkHealthOptions {
  intervalMs: number;
  downAfterMs: number;
  upAfter: number;
}

export class LinkHealth {
  readonly #options: LinkHealthOptions;
  #verdict: LinkVerdict = 'unknown';
  #lastAnswerMs: number;
  #answersInRow = 0;
  #srttMs: number | undefined;
  #rttvarMs = 0;

  constructor(options: LinkHealthOptions, startMs: number) {
    this.#options = options;
    this.#lastAnswerMs = startMs;
  }

  get verdict(): LinkVerdict {
    return this.#verdict;
  }

  /** Smoothed probe round trip (RFC 6298's estimator), undefined before the first answer. */
  get srttMs(): number | undefined {
    return this.#srttMs;
  }

  /** How long silence must last for "down" now. */
  get silenceLimitMs(): number {
    return Math.max(this.#options.downAfterMs, (this.#srttMs ?? 0) + 4 * this.#rttvarMs + this.#options.intervalMs);
  }

  /** An answer arrived; returns the new verdict when it changed. */
  answered(nowMs: number, rttMs: number): LinkVerdict | undefined {
    this.#lastAnswerMs = nowMs;
    if (this.#srttMs === undefined) {
      this.#srttMs = rttMs;
      this.#rttvarMs = rttMs / 2;
    } else {
      this.#rttvarMs = 0.75 * this.#rttvarMs + 0.25 * Math.abs(this.#srttMs - rttMs);
      this.#srttMs = 0.875 * this.#srttMs + 0.125 * rttMs;
    }
    this.#answersInRow++;
    if (this.#verdict !== 'up' && this.#answersInRow >= this.#options.upAfter) return this.#set('up');
    return undefined;
  }

  /** Called often (several times per probe interval); returns the new verdict when silence made it change. */
  tick(nowMs: number): LinkVerdict | undefined {
    if (nowMs - this.#lastAnswerMs < this.silenceLimitMs) return undefined;
    this.#answersInRow = 0;
    return this.#verdict === 'down' ? undefined : this.#set('down');
  }

  #set(verdict: LinkVerdict): LinkVerdict {
    this.#verdict = verdict;
    return verdict;
  }
}
