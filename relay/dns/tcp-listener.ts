// DNS over TCP from the LAN (RFC 7766): framed queries, possibly several on one
// connection and answered as they come back (out of order is allowed). A connection
// redirected by `mprelay rules --dns` is forwarded to the resolver it was headed for.
import net from 'node:net';
import type { RelayMetrics } from '../metrics.ts';
import type { Destination } from '../protocol.ts';
import { fdOf, originalDestination } from '../sockets.ts';
import { FrameReader } from './framing.ts';
import type { DnsQueries } from './queries.ts';
import { frame, MAX_QUERY_BYTES } from './wire.ts';

/** A client connection quiet for this long is closed (RFC 7766 6.2.3: servers should not hold idle ones long). */
const IDLE_TIMEOUT_MS = 10_000;
/** Queries of one connection forwarded at once; past it the connection is not read until one is answered. */
const MAX_PIPELINED = 16;

export interface TcpListener {
  address: net.AddressInfo;
  close(): Promise<void>;
}

export interface TcpListenerOptions {
  listen: { address: string; port: number };
  queries: DnsQueries;
  /** For connections that were not redirected (or whose destination cannot be read). */
  resolver: Destination;
  metrics: RelayMetrics;
}

/** Where a client connection was headed before the REDIRECT, or undefined when it came to the listener itself. */
function redirectedTo(client: net.Socket): Destination | undefined {
  try {
    const destination = originalDestination(fdOf(client), client.localFamily === 'IPv6' ? 6 : 4);
    return destination.port === client.localPort && destination.address === client.localAddress ? undefined : destination;
  } catch {
    return undefined; // no conntrack entry: not redirected
  }
}

function serve(client: net.Socket, options: TcpListenerOptions): void {
  const resolver = redirectedTo(client) ?? options.resolver;
  const reader = new FrameReader(MAX_QUERY_BYTES);
  let pending = 0;
  let ended = false;
  // Once the client is done asking, the connection closes after the last answer is written.
  const endIfAnswered = () => {
    if (ended && pending === 0 && !client.destroyed) client.end();
  };
  client.setNoDelay(true);
  client.setTimeout(IDLE_TIMEOUT_MS, () => client.destroy());
  client.on('error', () => {});
  client.on('data', (chunk: Buffer) => {
    for (const event of reader.push(chunk)) {
      if (event.kind === 'bad-length') {
        options.metrics.dnsQueries.inc({ transport: 'tcp', result: 'dropped' });
        return void client.destroy();
      }
      pending++;
      if (pending >= MAX_PIPELINED) client.pause();
      void options.queries.answer(event.message, 'tcp', client.remoteAddress ?? '', resolver).then((answer) => {
        pending--;
        if (client.destroyed) return;
        if (answer) client.write(frame(answer));
        if (pending < MAX_PIPELINED) client.resume();
        endIfAnswered();
      });
    }
  });
  client.on('end', () => {
    ended = true;
    endIfAnswered();
  });
}

export async function listenTcp(options: TcpListenerOptions): Promise<TcpListener> {
  const clients = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    clients.add(client);
    client.once('close', () => clients.delete(client));
    serve(client, options);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as net.AddressInfo,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const client of clients) client.destroy();
      await closed;
    },
  };
}
