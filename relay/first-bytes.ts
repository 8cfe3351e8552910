// Reading what a peer sends first, within a short wait, so that it can go out in one
// write with a header or an answer: MPTCP's scheduler sends a second small write on
// another subflow while the first is unacknowledged, so a header and the bytes after it,
// written apart, ride different links and arrive at the slower one's pace.
import type net from 'node:net';

/** Whatever `socket` sends within waitMs (possibly nothing), read off it; resolves early on the first bytes, end or close. */
export function firstBytes(socket: net.Socket, waitMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('readable', done).off('end', done).off('close', done);
      const chunks: Buffer[] = [];
      for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) chunks.push(chunk);
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(done, waitMs);
    socket.on('readable', done).on('end', done).on('close', done);
  });
}
