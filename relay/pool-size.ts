// How many warm connections the pool should hold. The mean rate alone misses what a
// browser does: a page load opens about six connections at once after a quiet minute,
// and a rate averaged over ten seconds calls for one or two. So the pool also holds the
// largest burst seen recently: the most connections taken within any burstWindowMs (short:
// what comes at once, not one after another) during the last burstMemoryMs.
// Between the config's floor and cap either way.
import type { LocalConfig } from './config.ts';

export type PoolSizing = Pick<LocalConfig['pool'], 'min' | 'max' | 'rateWindowMs' | 'horizonMs' | 'burstWindowMs' | 'burstMemoryMs'>;

interface Burst {
  atMs: number;
  size: number;
}

export class PoolDemand {
  readonly #sizing: PoolSizing;
  /** Times of the takes inside the longer of the rate and burst windows, oldest first. */
  readonly #takes: number[] = [];
  /** Burst sizes within the memory, oldest first; each larger than every later one (a later, larger burst outlasts it). */
  readonly #bursts: Burst[] = [];

  constructor(sizing: PoolSizing) {
    this.#sizing = sizing;
  }

  /** A connection was taken (hit or miss) at `nowMs`. */
  record(nowMs: number): void {
    this.#forget(nowMs);
    this.#takes.push(nowMs);
    const since = nowMs - this.#sizing.burstWindowMs;
    const size = this.#takes.filter((atMs) => atMs > since).length;
    while (this.#bursts.length > 0 && (this.#bursts.at(-1)?.size ?? 0) <= size) this.#bursts.pop();
    this.#bursts.push({ atMs: nowMs, size });
  }

  /** The most connections taken within one burst window, over the memory. */
  recentBurst(nowMs: number): number {
    this.#forget(nowMs);
    return this.#bursts[0]?.size ?? 0;
  }

  /** Enough for `horizonMs` at the rate of the last `rateWindowMs`. */
  rateDemand(nowMs: number): number {
    this.#forget(nowMs);
    const since = nowMs - this.#sizing.rateWindowMs;
    const inWindow = this.#takes.filter((atMs) => atMs >= since).length;
    return Math.ceil((inWindow / this.#sizing.rateWindowMs) * this.#sizing.horizonMs);
  }

  /** How many warm connections to hold now. */
  target(nowMs: number): number {
    const { min, max } = this.#sizing;
    return Math.min(max, Math.max(min, this.rateDemand(nowMs), this.recentBurst(nowMs)));
  }

  #forget(nowMs: number): void {
    const keepFrom = nowMs - Math.max(this.#sizing.rateWindowMs, this.#sizing.burstWindowMs);
    while (this.#takes.length > 0 && (this.#takes[0] ?? 0) < keepFrom) this.#takes.shift();
    while (this.#bursts.length > 0 && (this.#bursts[0]?.atMs ?? 0) < nowMs - this.#sizing.burstMemoryMs) this.#bursts.shift();
  }
}
