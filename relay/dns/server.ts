// The DNS forwarder of `mprelay local`: one query handler behind a UDP and a TCP
// listener on the same address and port.
import type net from 'node:net';
import type { LocalConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { RelayMetrics } from '../metrics.ts';
import { familyOf } from '../ip.ts';
import type { OpenStream } from './forwarder.ts';
import { DnsQueries } from './queries.ts';
import { listenTcp } from './tcp-listener.ts';
import { listenUdp } from './udp-listener.ts';

export type DnsConfig = NonNullable<LocalConfig['dns']>;

export interface DnsServerOptions {
  config: DnsConfig;
  /** Opens a relayed stream (the local relay's pool, or a fresh connection over a link that is up). */
  open: OpenStream;
  metrics: RelayMetrics;
  log: Logger;
}

export interface DnsServer {
  udp: net.AddressInfo;
  tcp: net.AddressInfo;
  queries: DnsQueries;
  stop(): Promise<void>;
}

export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const { config, metrics, log } = options;
  const resolver = { ...config.resolver, family: familyOf(config.resolver.address) };
  const queries = new DnsQueries({ forwarder: { open: options.open, timeoutMs: config.timeoutMs, retryAfterMs: config.retryAfterMs }, maxInFlight: config.maxInFlight, metrics, log });
  const udp = await listenUdp(config.listen, queries, resolver);
  const tcp = await listenTcp({ listen: config.listen, queries, resolver, metrics }).catch(async (error: unknown) => {
    await udp.close();
    throw error;
  });
  log.info('dns forwarder listening', { address: config.listen.address, port: udp.address.port, tcpPort: tcp.address.port, resolver: config.resolver });
  return {
    udp: udp.address,
    tcp: tcp.address,
    queries,
    stop: async () => {
      await Promise.all([udp.close(), tcp.close()]);
    },
  };
}
