// One probe connection from the client side: the request line written at once, the
// server's header line split off the answer, and the way every measurement ends (a
// reset, so that bytes still queued along the path are thrown away, not delivered
// into the next measurement).
import net from 'node:net';
import { monotonicMs } from './clock.ts';
import { encodeLine, takeLine, type ProbeHeader, type ProbeRequest } from './protocol.ts';

export interface Target {
  host: string;
  port: number;
}

export interface ConnectionHandlers {
  onFirstByte?(atMs: number): void;
  onHeader(header: ProbeHeader): void;
  onPayload(chunk: Buffer, atMs: number): void;
}

/** An error as a short word for records: the errno code when there is one. */
export function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ?? e.message ?? String(error);
}

/**
 * Ends a connection with a reset (RST), not a close that lets queued bytes drain. One
 * still connecting has nothing queued and is simply destroyed (Node would otherwise
 * wait for the handshake to finish before resetting, forever if it never does).
 */
export function abort(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

/**
 * Opens a connection, writes `request` at once (before connect resolves, as a client
 * sending its first bytes would), and splits the answer into the header line and the
 * payload. Payload bytes arriving with the header are passed on too.
 */
export function openProbeConnection(target: Target, request: ProbeRequest, handlers: ConnectionHandlers): net.Socket {
  const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
  socket.write(encodeLine(request));
  let pending: Buffer | null = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const atMs = monotonicMs();
    if (pending === null) {
      handlers.onPayload(chunk, atMs);
      return;
    }
    if (pending.length === 0) handlers.onFirstByte?.(atMs);
    pending = Buffer.concat([pending, chunk]);
    let taken;
    try {
      taken = takeLine(pending);
    } catch (error) {
      socket.destroy(error as Error);
      return;
    }
    if (!taken) return;
    pending = null;
    handlers.onHeader(JSON.parse(taken.line) as ProbeHeader);
    if (taken.rest.length > 0) handlers.onPayload(taken.rest, atMs);
  });
  return socket;
}
