// Joins two connected sockets both ways: half-close passes through (one side's FIN
// becomes the other's), backpressure through pipe() and a bound on each socket's unsent
// bytes (the kernel's send buffer would otherwise hold MBs per direction), a reset
// on one side resets the other (as a direct connection would show it), and a
// connection idle in both directions for idleTimeoutMs is closed.
import type net from 'node:net';
import { fdOf, isPlainTcp, setNotSentLowat, tcpResetUnderneath } from './sockets.ts';
import type { UnsentBytes } from './unsent.ts';

/**
 * How often a side held back by backpressure is checked for a reset. The kernel hands
 * a reader the data queued before a reset and only then the reset, and Node does not
 * read a paused socket at all: a client that aborts an upload would otherwise have
 * its queued MBs sent on over the links for seconds (measured: 2.4 MB queued at the
 * local, 5 s of link A and B's uplinks after the lab's upload window ended). Well under
 * a queue drain, so that what the links still carry after an abort is their queues'
 * bytes alone (one TCP_INFO per paused socket each time: microseconds).
 */
export const RESET_CHECK_MS = 25;

export interface PipeResult {
  /** Bytes the pipe moved from `a` to `b` and from `b` to `a`. */
  aToB: number;
  bToA: number;
  /** Why it ended, if not by two clean half-closes. */
  error?: 'reset' | 'idle-timeout' | 'error';
}

export interface PipeOptions {
  idleTimeoutMs: number;
  /** TCP_NOTSENT_LOWAT on both sockets; 0 leaves the kernel's default. */
  notSentLowatBytes: number;
  /** Counts what both sockets hold unsent while they are open. */
  unsent: UnsentBytes;
  /** Called when a's direction ends (its FIN), while both sockets are still open. */
  onAEnd?: () => void;
}

/** Bounds what the kernel holds unsent for `socket`; a socket already closing has no fd and needs no bound. */
function boundUnsent(socket: net.Socket, bytes: number): void {
  if (bytes === 0) return;
  try {
    setNotSentLowat(fdOf(socket), bytes);
  } catch {
    // no descriptor any more, or the kernel refused: the socket is closing (Node reports it)
  }
}

/** The socket's fd if it is plain TCP (decided once per pipe: MPTCP sockets are never checked), else undefined. */
function plainTcpFd(socket: net.Socket): number | undefined {
  try {
    const fd = fdOf(socket);
    return isPlainTcp(fd) ? fd : undefined;
  } catch {
    return undefined; // no descriptor any more: Node is closing it and says so itself
  }
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
      boundUnsent(socket, options.notSentLowatBytes);
      options.unsent.watch(socket);
      socket.setTimeout(options.idleTimeoutMs);
      // A socket with no reads and no writes means neither direction moved.
      socket.on('timeout', () => fail('idle-timeout'));
      socket.on('error', (e: NodeJS.ErrnoException) => fail(e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'reset' : 'error'));
      socket.once('close', closed);
      const fd = plainTcpFd(socket);
      if (fd !== undefined) watchWhilePaused(socket, () => tcpResetUnderneath(fd), () => fail('reset'));
    }
    if (options.onAEnd) a.once('end', options.onAEnd);
    a.pipe(b);
    b.pipe(a);
  });
}

/** While `socket` is paused (its reader waits for the other side to drain), checks `reset` every RESET_CHECK_MS. */
function watchWhilePaused(socket: net.Socket, reset: () => boolean, onReset: () => void): void {
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    clearInterval(timer);
    timer = undefined;
  };
  socket.on('pause', () => {
    timer ??= setInterval(() => {
      if (socket.destroyed || !socket.isPaused()) stop();
      else if (reset()) {
        stop();
        onReset();
      }
    }, RESET_CHECK_MS);
  });
  socket.once('close', stop);
}
