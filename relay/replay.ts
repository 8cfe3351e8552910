// Replay protection: a header is accepted only if its timestamp is inside the window
// and its nonce has not been seen. Nonces live in two generations, each spanning two
// windows, so a nonce is remembered for as long as its timestamp could still pass
// and memory stays bounded: each generation holds at most `maxPerGeneration` nonces, and
// past that headers are refused ('full': the remote answers overload) rather than
// forgotten, since a forgotten nonce could be replayed.
export type ReplayVerdict = 'ok' | 'stale' | 'replay' | 'full';

/** 2 x 30 s windows at 4,000 authenticated headers a second. */
export const MAX_NONCES_PER_GENERATION = 250_000;

export class ReplayGuard {
  #current = new Set<string>();
  #previous = new Set<string>();
  #rotatedAtMs: number;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxPerGeneration = MAX_NONCES_PER_GENERATION,
  ) {
    this.#rotatedAtMs = now();
  }

  check(timestampMs: number, nonce: Buffer): ReplayVerdict {
    const nowMs = this.now();
    if (Math.abs(nowMs - timestampMs) > this.windowMs) return 'stale';
    if (nowMs - this.#rotatedAtMs >= 2 * this.windowMs) {
      this.#previous = this.#current;
      this.#current = new Set();
      this.#rotatedAtMs = nowMs;
    }
    const key = nonce.toString('base64');
    if (this.#current.has(key) || this.#previous.has(key)) return 'replay';
    if (this.#current.size >= this.maxPerGeneration) return 'full';
    this.#current.add(key);
    return 'ok';
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }
}
