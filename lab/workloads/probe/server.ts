// Server probe: runs in the server namespace for the length of one system's block,
// serves pattern bytes, receives and checks uploads, echoes. Stops on SIGTERM.
// Usage: node --import tsx server.ts <host> <port>
import net from 'node:net';
import { monotonicMs } from './clock.ts';
import { ReceiveMeter } from './meter.ts';
import { PatternWriter } from './pattern.ts';
import { encodeLine, probeRequestSchema, takeLine, type ProbeRequest, type PutReport } from './protocol.ts';

const WRITE_CHUNK_BYTES = 64 * 1024;

function serveGet(socket: net.Socket, request: Extract<ProbeRequest, { op: 'get' }>): void {
  const writer = new PatternWriter(request.stream);
  let remaining = request.bytes ?? Number.POSITIVE_INFINITY;
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
    if (!socket.destroyed) socket.end();
  };
  pump();
}

function servePut(socket: net.Socket, request: Extract<ProbeRequest, { op: 'put' }>, rest: Buffer): void {
  const meter = new ReceiveMeter(request.stream, request.refMs, request.binMs);
  if (rest.length > 0) meter.onData(rest, monotonicMs());
  socket.on('data', (chunk: Buffer) => meter.onData(chunk, monotonicMs()));
  // The window ends on the shared clock, so bytes still queued in buffers along the
  // path when the client stops sending are not counted as if they had arrived in time.
  const timer = setTimeout(() => {
    const report: PutReport = { report: meter.report(request.untilMs) };
    socket.end(encodeLine(report));
  }, Math.max(0, request.untilMs - monotonicMs()));
  socket.once('close', () => clearTimeout(timer));
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
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    let request: ProbeRequest;
    let rest: Buffer;
    try {
      const taken = takeLine(buffered);
      if (!taken) return;
      request = probeRequestSchema.parse(JSON.parse(taken.line));
      rest = taken.rest;
    } catch (error) {
      process.stderr.write(`server probe: bad request: ${(error as Error).message}\n`);
      socket.destroy();
      return;
    }
    socket.off('data', onData);
    socket.write(encodeLine({ acceptMs }));
    if (request.op === 'get') serveGet(socket, request);
    else if (request.op === 'put') servePut(socket, request, rest);
    else serveEcho(socket, rest);
  };
  socket.on('data', onData);
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
