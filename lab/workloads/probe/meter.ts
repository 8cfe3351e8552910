// What a receiver records about one stream: bytes per time bin (for goodput and the
// failover timeline), the longest gap between arrivals (stall), and verification.
import { PatternVerifier } from './pattern.ts';

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
  /** Longest time without a byte, from the first byte to the close (the trailing gap counts). */
  maxGapMs: number;
}

export class ReceiveMeter {
  private readonly verifier: PatternVerifier;
  private readonly bins: number[] = [];
  private firstMs: number | null = null;
  private lastMs: number | null = null;
  private maxGapMs = 0;

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
    if (this.lastMs !== null) this.maxGapMs = Math.max(this.maxGapMs, atMs - this.lastMs);
    this.firstMs ??= atMs;
    this.lastMs = atMs;
    const bin = Math.max(0, Math.floor((atMs - this.refMs) / this.binMs));
    while (this.bins.length <= bin) this.bins.push(0);
    this.bins[bin]! += chunk.length;
  }

  /** The report at `endMs`, the end of the measurement (a trailing silence is a gap too). */
  report(endMs: number): MeterReport {
    const trailingGapMs = this.lastMs === null ? 0 : Math.max(0, endMs - this.lastMs);
    return {
      stream: this.stream,
      bytes: this.verifier.bytes,
      verified: this.verifier.ok,
      bins: [...this.bins],
      binMs: this.binMs,
      firstMs: this.firstMs,
      lastMs: this.lastMs,
      maxGapMs: Math.max(this.maxGapMs, trailingGapMs),
    };
  }
}
