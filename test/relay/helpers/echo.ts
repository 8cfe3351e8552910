// Real TCP endpoints for relay tests: an echo server that records what each connection
// received (sha256), and a client that sends random bytes, half-closes, and checks the
// echo. Together they check bytes both ways and half-close through the relay.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

export interface EchoServer {
  server: net.Server;
  port: number;
  /** sha256 (hex) of everything each finished connection received, in order of finishing. */
  received: string[];
  accepted: number;
  close(): Promise<void>;
}

export async function startEchoServer(host: string, port = 0): Promise<EchoServer> {
  const state = { received: [] as string[], accepted: 0 };
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    state.accepted++;
    const hash = createHash('sha256');
    socket.on('data', (chunk: Buffer) => hash.update(chunk));
    socket.on('end', () => state.received.push(hash.digest('hex')));
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return Object.assign(state, {
    server,
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
}

export interface EchoResult {
  sentSha256: string;
  echoedSha256: string;
  bytes: number;
}

export type EchoFailure = { code: string };

/** Sends `bytes` random bytes, half-closes, reads the echo to its end. Rejects with the socket error. */
export function echoThrough(options: net.NetConnectOpts, bytes: number): Promise<EchoResult> {
  return new Promise((resolve, reject) => {
    const payload = randomBytes(bytes);
    const echoed = createHash('sha256');
    let received = 0;
    const socket = net.connect({ ...options, allowHalfOpen: true } as net.NetConnectOpts);
    socket.on('connect', () => socket.end(payload));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      echoed.update(chunk);
    });
    socket.on('error', reject);
    socket.on('end', () => {
      socket.destroy();
      resolve({ sentSha256: createHash('sha256').update(payload).digest('hex'), echoedSha256: echoed.digest('hex'), bytes: received });
    });
  });
}
