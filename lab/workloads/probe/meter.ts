// What a receiver records about one stream: bytes per time bin (for goodput and the
// failover timeline), the gaps between arrivals (stalls), and verification.
import { PatternVerifier } from './pattern.ts';

/** A time without a received byte, ms after the reference time: [start, end). */
export interface Gap {
  startMs: number;
  endMs: number;
}

/** Gaps shorter than this are packet spacing, not stalls: not kept (the figures use 10 ms resolution). */
const MIN_GAP_MS = 10;

export interface MeterReport {
  stream: number;
  /** Verified bytes received. */
  bytes: number;
  verified: boolean;
  /** Bytes received per bin, bin i covering [refMs + i*binMs, refMs + (i+1)*binMs). */
  bins: number[];
  binMs: number;
  firstMs: number | null;
  lastMs: number | null;
  /** Every gap of at least MIN_GAP_MS after the first byte, ms after refMs; the trailing one ends at the report's end. */
  gaps: Gap[];
}

export class ReceiveMeter {
  private readonly verifier: PatternVerifier;
  private readonly bins: number[] = [];
  private readonly gaps: Gap[] = [];
  private firstMs: number | null = null;
  private lastMs: number | null = null;

  constructor(
    private readonly stream: number,
    private readonly refMs: number,
    private readonly binMs: number,
  ) {
    this.verifier = new PatternVerifier(stream);
  }

  get ok(): boolean {
    return this.verifier.ok;
  }

  onData(chunk: Buffer, atMs: number): void {
    this.verifier.check(chunk);
    if (this.lastMs !== null && atMs - this.lastMs >= MIN_GAP_MS) this.gaps.push({ startMs: this.lastMs - this.refMs, endMs: atMs - this.refMs });
    this.firstMs ??= atMs;
    this.lastMs = atMs;
    const bin = Math.max(0, Math.floor((atMs - this.refMs) / this.binMs));
    while (this.bins.length <= bin) this.bins.push(0);
    this.bins[bin]! += chunk.length;
  }

  /** The report at `endMs`, the end of the measurement (a trailing silence is a gap too). */
  report(endMs: number): MeterReport {
    const gaps = [...this.gaps];
    if (this.lastMs !== null && endMs - this.lastMs >= MIN_GAP_MS) gaps.push({ startMs: this.lastMs - this.refMs, endMs: endMs - this.refMs });
    return {
      stream: this.stream,
      bytes: this.verifier.bytes,
      verified: this.verifier.ok,
      bins: [...this.bins],
      binMs: this.binMs,
      firstMs: this.firstMs,
      lastMs: this.lastMs,
      gaps,
    };
  }
}
