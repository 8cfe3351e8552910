// Server probe: runs in the server namespace for the length of one system's block,
// serves pattern bytes, receives and checks uploads, echoes. Stops on SIGTERM.
// Usage: node --import tsx server.ts <host> <port>
import net from 'node:net';
import { monotonicMs } from './clock.ts';
import { ReceiveMeter } from './meter.ts';
import { PatternVerifier, PatternWriter } from './pattern.ts';
import { encodeLine, probeRequestSchema, takeLine, type ProbeRequest, type PushReport, type PutReport } from './protocol.ts';

const WRITE_CHUNK_BYTES = 64 * 1024;

type GetRequest = Extract<ProbeRequest, { op: 'get' }>;

/**
 * Reads one request line off the socket, then hands it over with the bytes after it.
 * A line that is not a valid request ends the connection.
 */
function readRequest(socket: net.Socket, initial: Buffer, onRequest: (request: ProbeRequest, rest: Buffer) => void): void {
  let buffered = initial;
  const tryTake = (): boolean => {
    let taken;
    let request: ProbeRequest;
    try {
      taken = takeLine(buffered);
      if (!taken) return false;
      request = probeRequestSchema.parse(JSON.parse(taken.line));
    } catch (error) {
      process.stderr.write(`server probe: bad request: ${(error as Error).message}\n`);
      socket.destroy();
      return true;
    }
    onRequest(request, taken.rest);
    return true;
  };
  if (tryTake()) return;
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    if (tryTake()) socket.off('data', onData);
  };
  socket.on('data', onData);
}

function serveGet(socket: net.Socket, request: GetRequest, rest: Buffer): void {
  const writer = new PatternWriter(request.stream);
  let remaining = request.bytes ?? Number.POSITIVE_INFINITY;
  if (request.untilMs !== undefined) {
    const timer = setTimeout(() => socket.resetAndDestroy(), Math.max(0, request.untilMs - monotonicMs()));
    socket.once('close', () => clearTimeout(timer));
  }
  // Write while the socket takes it; resume on drain, so memory stays bounded.
  const pump = (): void => {
    while (remaining > 0 && !socket.destroyed) {
      const chunk = writer.next(Math.min(WRITE_CHUNK_BYTES, remaining));
      remaining -= chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
    if (socket.destroyed) return;
    if (request.keepAlive) readRequest(socket, rest, (next, after) => (next.op === 'get' ? serveGet(socket, next, after) : socket.destroy()));
    else socket.end();
  };
  pump();
}

function servePut(socket: net.Socket, request: Extract<ProbeRequest, { op: 'put' }>, rest: Buffer): void {
  const meter = new ReceiveMeter(request.stream, request.refMs, request.binMs);
  if (rest.length > 0) meter.onData(rest, monotonicMs());
  const onData = (chunk: Buffer) => meter.onData(chunk, monotonicMs());
  socket.on('data', onData);
  // The window ends on the shared clock, so bytes still queued in buffers along the
  // path when the client stops sending are not counted as if they had arrived in time.
  // Reading stops there too: what is still queued waits (in flow control) for the
  // client's reset instead of draining on.
  const timer = setTimeout(() => {
    socket.off('data', onData);
    socket.pause();
    const report: PutReport = { report: meter.report(request.untilMs) };
    socket.end(encodeLine(report));
  }, Math.max(0, request.untilMs - monotonicMs()));
  socket.once('close', () => clearTimeout(timer));
}

function servePush(socket: net.Socket, request: Extract<ProbeRequest, { op: 'push' }>, rest: Buffer): void {
  const verifier = new PatternVerifier(request.stream);
  const onData = (chunk: Buffer): void => {
    verifier.check(chunk.subarray(0, request.bytes - verifier.bytes));
    if (verifier.bytes < request.bytes && verifier.ok) return;
    socket.off('data', onData);
    const report: PushReport = { lastByteMs: monotonicMs(), bytes: verifier.bytes, verified: verifier.ok && verifier.bytes === request.bytes };
    socket.end(encodeLine(report));
  };
  socket.on('data', onData);
  if (rest.length > 0) onData(rest);
}

function serveEcho(socket: net.Socket, rest: Buffer): void {
  if (rest.length > 0) socket.write(rest);
  socket.on('data', (chunk: Buffer) => socket.write(chunk));
}

function handle(socket: net.Socket): void {
  const acceptMs = monotonicMs();
  socket.setNoDelay(true);
  // Timed transfers end with the client resetting the connection: that is expected.
  socket.on('error', () => socket.destroy());
  readRequest(socket, Buffer.alloc(0), (request, rest) => {
    socket.write(encodeLine({ acceptMs }));
    if (request.op === 'get') serveGet(socket, request, rest);
    else if (request.op === 'put') servePut(socket, request, rest);
    else if (request.op === 'push') servePush(socket, request, rest);
    else serveEcho(socket, rest);
  });
}

const [host, portText] = process.argv.slice(2);
if (!host || !portText) throw new Error('usage: server.ts <host> <port>');
const sockets = new Set<net.Socket>();
const server = net.createServer((socket) => {
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
  handle(socket);
});
server.listen({ host, port: Number(portText), backlog: 1024 });
process.once('SIGTERM', () => {
  server.close();
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
