// Deterministic bytes: senders write a seeded pattern, receivers check every byte at
// its offset, so corruption, loss, duplication or reordering by a system under test
// is caught. Slices of one prebuilt block are written without copying and compared
// with memcmp (Buffer.equals), so checking costs little CPU.

/** Pattern period: prime, so a slip by any whole number of chunks still mismatches. */
const PERIOD = 1_048_573;
/** Longest slice handed out or compared at once; the block is this much longer than the period. */
const MAX_SLICE = 256 * 1024;

function buildBlock(): Buffer {
  const block = Buffer.allocUnsafe(PERIOD + MAX_SLICE);
  let x = 0x9e3779b9;
  for (let i = 0; i < PERIOD; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block[i] = x & 0xff;
  }
  block.copy(block, PERIOD, 0, MAX_SLICE);
  return block;
}

const BLOCK = buildBlock();

/** Each stream starts at its own offset, so two streams swapped by a relay do not verify. */
function startOffset(stream: number): number {
  return (stream * 104_729) % PERIOD;
}

export class PatternWriter {
  private offset: number;
  constructor(stream: number) {
    this.offset = startOffset(stream);
  }

  /** The next `length` bytes of the stream (a view into the shared block: never mutate it). */
  next(length: number): Buffer {
    const n = Math.min(length, MAX_SLICE);
    const slice = BLOCK.subarray(this.offset, this.offset + n);
    this.offset = (this.offset + n) % PERIOD;
    return slice;
  }
}

export class PatternVerifier {
  private offset: number;
  /** Bytes checked so far, all of which matched while `ok` is true. */
  bytes = 0;
  ok = true;
  constructor(stream: number) {
    this.offset = startOffset(stream);
  }

  /** Checks the next chunk of the stream; returns false (and stays false) on the first mismatch. */
  check(chunk: Buffer): boolean {
    for (let i = 0; i < chunk.length && this.ok; ) {
      const n = Math.min(chunk.length - i, MAX_SLICE);
      if (!chunk.subarray(i, i + n).equals(BLOCK.subarray(this.offset, this.offset + n))) this.ok = false;
      this.offset = (this.offset + n) % PERIOD;
      i += n;
    }
    if (this.ok) this.bytes += chunk.length;
    return this.ok;
  }
}
