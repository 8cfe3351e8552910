// Joins two connected sockets both ways: half-close passes through (one side's FIN
// becomes the other's), backpressure through pipe() (no unbounded buffering), a reset
// on one side resets the other (as a direct connection would show it), and a
// connection idle in both directions for idleTimeoutMs is closed.
import type net from 'node:net';

export interface PipeResult {
  /** Bytes the pipe moved from `a` to `b` and from `b` to `a`. */
  aToB: number;
  bToA: number;
  /** Why it ended, if not by two clean half-closes. */
  error?: 'reset' | 'idle-timeout' | 'error' | 'refused';
}

export interface PipeOptions {
  idleTimeoutMs: number;
  /**
   * Holds back the b -> a direction until it resolves (the local reads the remote's
   * status byte first); false resets both. a -> b flows from the start either way.
   */
  bToAGate?: Promise<boolean>;
  /** Called when a's direction ends (its FIN), while both sockets are still open. */
  onAEnd?: () => void;
}

export function pipeBoth(a: net.Socket, b: net.Socket, options: PipeOptions): Promise<PipeResult> {
  return new Promise((resolve) => {
    let error: PipeResult['error'];
    let open = 2;
    // What was written before the pipe (a header, an answer) is not the pipe's.
    const before = { a: a.bytesWritten, b: b.bytesWritten };
    const closed = () => {
      if (--open === 0) resolve({ aToB: b.bytesWritten - before.b, bToA: a.bytesWritten - before.a, ...(error ? { error } : {}) });
    };
    const fail = (kind: NonNullable<PipeResult['error']>) => {
      error ??= kind;
      // Reset both: the side that failed is already gone; the other learns it as a peer would.
      for (const s of [a, b]) if (!s.destroyed) s.resetAndDestroy();
    };
    for (const socket of [a, b]) {
      socket.setTimeout(options.idleTimeoutMs);
      // A socket with no reads and no writes means neither direction moved.
      socket.on('timeout', () => fail('idle-timeout'));
      socket.on('error', (e: NodeJS.ErrnoException) => fail(e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'reset' : 'error'));
      socket.once('close', closed);
    }
    if (options.onAEnd) a.once('end', options.onAEnd);
    a.pipe(b);
    if (!options.bToAGate) b.pipe(a);
    else options.bToAGate.then((open) => (open ? b.pipe(a) : fail('refused')), () => fail('error'));
  });
}
