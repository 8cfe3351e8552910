// The local side, on the home gateway: accepts the client TCP connections that an
// nftables REDIRECT sends it, reads where each was headed, and carries it to the
// remote over MPTCP: header and the client's bytes at once, no waiting for an answer.
// Anything but a verified ok answer resets the client, as a refused direct connection would.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { LocalConfig } from './config.ts';
import type { RelayedStream } from './dns/forwarder.ts';
import { startDnsServer, type DnsServer } from './dns/server.ts';
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import { pipeBoth } from './pipe.ts';
import { UpstreamPool } from './pool.ts';
import { encodeHeader, isRelayable, NONCE_BYTES, type Destination } from './protocol.ts';
import { keepaliveReporter, tuneKeepalive, type KeepaliveRefused } from './keepalive.ts';
import { Links } from './links.ts';
import type { MonitoredLink } from './link-monitor.ts';
import { openOverLinks, type Opened } from './race.ts';
import { fdOf, mptcpState, originalDestination, SocketCallError, transparentListenerFd } from './sockets.ts';
import { answerProblem, openUpstream, readAnswer, type UpstreamTarget } from './upstream.ts';

export interface LocalOptions {
  config: LocalConfig;
  log: Logger;
  metrics: RelayMetrics;
}

/** A connect header on its way: what reading its answer needs. */
interface SentRequest {
  upstream: net.Socket;
  nonce: Buffer;
  secret: Buffer;
  /** Client bytes sent with the header (Fast Open), before the pipe started counting. */
  earlyBytes?: number;
}

export class LocalRelay {
  readonly #config: LocalConfig;
  readonly #log: Logger;
  readonly #metrics: RelayMetrics;
  readonly #server: net.Server;
  readonly #pool: UpstreamPool;
  readonly #target: UpstreamTarget;
  /** The WAN links' monitor and switch, when the config names links. */
  readonly #links: Links | undefined;
  readonly #clients = new Set<net.Socket>();
  #listenPort = 0;
  #key: LocalConfig['key'];
  readonly #keepaliveRefused: KeepaliveRefused;
  /** The DNS forwarder, when the config has a `dns` section. */
  #dns: DnsServer | undefined;

  constructor(options: LocalOptions) {
    const { config } = options;
    this.#config = config;
    this.#key = config.key;
    this.#log = options.log;
    this.#metrics = options.metrics;
    this.#keepaliveRefused = keepaliveReporter(options.metrics, options.log);
    this.#target = { address: config.remote.address, port: config.remote.port, fastOpen: config.fastOpen, keepalive: config.keepalive };
    this.#links = config.links.length > 0 ? new Links({ config, metrics: options.metrics, log: options.log }) : undefined;
    // Pooled connections are opened ahead of need: Fast Open would save them nothing.
    const pooledTarget = { ...this.#target, fastOpen: false };
    this.#pool = new UpstreamPool({
      target: pooledTarget,
      open: (link) => this.#openFresh(pooledTarget, link),
      links: () => this.#links?.up() ?? [],
      key: config.key,
      pool: config.pool,
      connectTimeoutMs: config.connectTimeoutMs,
      metrics: options.metrics,
      log: options.log,
      keepaliveRefused: this.#keepaliveRefused,
    });
    this.#server = net.createServer({ allowHalfOpen: true }, (client) => this.#handle(client));
    this.#server.maxConnections = config.maxConnections;
  }

  async start(): Promise<net.AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      const { address: host, port } = this.#config.listen;
      const where = this.#config.interception === 'tproxy' ? { fd: transparentListenerFd({ host, port }) } : { host, port };
      this.#server.listen(where, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const bound = this.#server.address() as net.AddressInfo;
    this.#listenPort = bound.port;
    await this.#links?.start();
    this.#pool.start();
    const dns = this.#config.dns;
    if (dns) this.#dns = await startDnsServer({ config: dns, open: (destination, payload) => this.openStream(destination, payload), metrics: this.#metrics, log: this.#log });
    this.#log.info('local listening', { address: bound.address, port: bound.port, remote: this.#config.remote });
    return bound;
  }

  /** Takes the key of a new config (SIGHUP); returns the fields that differ but need a restart. */
  reload(config: LocalConfig): string[] {
    this.#key = config.key;
    this.#pool.rekey(config.key);
    this.#links?.rekey(config.key);
    this.#log.info('reloaded', { keyId: config.key.id });
    const fields = Object.keys(config) as Array<keyof LocalConfig>;
    return fields.filter((field) => field !== 'key' && JSON.stringify(config[field]) !== JSON.stringify(this.#config[field]));
  }

  get pool(): UpstreamPool {
    return this.#pool;
  }

  get dns(): DnsServer | undefined {
    return this.#dns;
  }

  /**
   * A relayed stream for the relay's own use (the DNS forwarder): a pooled connection, or
   * a fresh one over a link that is up, with the connect header and `payload` written.
   */
  async openStream(destination: Destination, payload: Buffer): Promise<RelayedStream> {
    const key = this.#key;
    const nonce = randomBytes(NONCE_BYTES);
    const header = { type: 'connect' as const, keyId: key.id, timestampMs: Date.now(), nonce, destination };
    const pooled = this.#pool.take();
    const socket = pooled ? pooled.socket : (await this.#openFresh(this.#target)).socket;
    if (!pooled) this.#metrics.upstreamOpened.inc({ by: 'miss' });
    socket.write(Buffer.concat([encodeHeader(header, key.secret, pooled?.challenge), payload]));
    const accepted = readAnswer(socket, { hello: false, secret: key.secret, nonce, timeoutMs: this.#config.statusTimeoutMs }).then(answerProblem);
    return { socket, accepted };
  }

  get openConnections(): number {
    return this.#clients.size;
  }

  /** Stops accepting and pooling, lets relayed connections finish for drainTimeoutMs, then resets them. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.#dns?.stop();
    this.#pool.stop();
    const deadline = Date.now() + this.#config.drainTimeoutMs;
    while (this.#clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const client of this.#clients) client.resetAndDestroy();
    await closed;
    await this.#links?.stop();
    this.#log.info('local stopped');
  }

  /** One client connection: whatever goes wrong inside it is counted and logged, and ends that connection only. */
  #handle(client: net.Socket): void {
    this.#track(client);
    this.#accept(client).catch((error: unknown) => {
      this.#metrics.errors.inc({ kind: 'internal' });
      this.#log.error('client connection failed inside the relay', { source: client.remoteAddress, error });
      if (!client.destroyed) client.resetAndDestroy();
    });
  }

  #track(client: net.Socket): void {
    this.#clients.add(client);
    this.#metrics.activeConnections.inc();
    client.once('close', () => {
      this.#clients.delete(client);
      this.#metrics.activeConnections.dec();
    });
    client.on('error', () => {}); // the pipe reports errors once it runs; before that, close is enough
  }

  /** Where the client was headed, or undefined after resetting a client that cannot be relayed. */
  #destinationOrReset(client: net.Socket): Destination | undefined {
    let destination: Destination;
    try {
      destination = this.#destinationOf(client);
    } catch (error) {
      this.#metrics.errors.inc({ kind: 'original-destination' });
      this.#metrics.connections.inc({ result: 'no-destination' });
      this.#log.warn('no original destination (not redirected?)', { source: client.remoteAddress, error });
      return void client.resetAndDestroy();
    }
    // Port 0 cannot be named in a header (a LAN host can still connect() there): refuse it as the destination would.
    if (!isRelayable(destination)) {
      this.#metrics.errors.inc({ kind: 'bad-destination' });
      this.#metrics.connections.inc({ result: 'bad-destination' });
      this.#log.warn('client destination cannot be relayed', { source: client.remoteAddress, address: destination.address, port: destination.port });
      return void client.resetAndDestroy();
    }
    return destination;
  }

  async #accept(client: net.Socket): Promise<void> {
    const destination = this.#destinationOrReset(client);
    if (!destination) return;
    client.setNoDelay(true);
    tuneKeepalive(client, this.#config.keepalive, this.#keepaliveRefused);
    const request = await this.#sendRequest(client, destination);
    if (!request) return;
    await this.#relay(client, request, destination);
  }

  /**
   * Writes the connect header (and, on a fresh connection with Fast Open, the client's
   * first bytes) on a pooled connection, or on a fresh one for a pool miss.
   */
  async #sendRequest(client: net.Socket, destination: Destination): Promise<SentRequest | undefined> {
    const key = this.#key;
    const nonce = randomBytes(NONCE_BYTES);
    const header = { type: 'connect' as const, keyId: key.id, timestampMs: Date.now(), nonce, destination };
    const pooled = this.#pool.take();
    if (pooled) {
      pooled.socket.write(encodeHeader(header, key.secret, pooled.challenge));
      return { upstream: pooled.socket, nonce, secret: key.secret };
    }
    // A fresh connection: with Fast Open, give the client a moment to speak so its bytes ride in the SYN with the header.
    const early = this.#config.fastOpen ? await firstBytes(client, this.#config.earlyDataWaitMs) : Buffer.alloc(0);
    if (client.destroyed) return undefined;
    let upstream: net.Socket;
    try {
      upstream = (await this.#openFresh(this.#target)).socket;
      this.#metrics.upstreamOpened.inc({ by: 'miss' });
    } catch (error) {
      const socketCall = error instanceof SocketCallError;
      this.#metrics.errors.inc({ kind: socketCall ? 'upstream-socket' : 'upstream-connect' });
      this.#log.error(socketCall ? 'cannot create MPTCP socket' : 'no link reached the remote', { error });
      return void client.resetAndDestroy();
    }
    if (client.destroyed) return void upstream.destroy();
    upstream.write(Buffer.concat([encodeHeader(header, key.secret), early]));
    // Early bytes went with the header: the pipe's own count starts after them.
    return { upstream, nonce, secret: key.secret, earlyBytes: early.length };
  }

  /** Pipes client and upstream; the remote's bytes reach the client only after a verified ok answer. */
  async #relay(client: net.Socket, request: SentRequest, destination: Destination): Promise<void> {
    const { upstream } = request;
    const answer = readAnswer(upstream, { hello: false, secret: request.secret, nonce: request.nonce, timeoutMs: this.#config.statusTimeoutMs });
    const problem = answer.then(answerProblem);
    const result = await pipeBoth(client, upstream, {
      idleTimeoutMs: this.#config.idleTimeoutMs,
      bToAGate: problem.then((p) => p === undefined),
      onAEnd: () => this.#sampleSubflows(upstream),
    });
    const refused = await problem;
    const outcome = refused ?? result.error ?? 'ok';
    if (refused) this.#metrics.errors.inc({ kind: `remote-${refused}` });
    if (refused === 'answer-mac') this.#log.warn('answer from the remote does not verify: not our remote, or tampered with on the way', { destination });
    this.#metrics.connections.inc({ result: outcome });
    this.#metrics.bytes.inc({ direction: 'upstream' }, result.aToB + (request.earlyBytes ?? 0));
    this.#metrics.bytes.inc({ direction: 'downstream' }, result.bToA);
    this.#log.debug('connection closed', { destination, outcome, ...result });
  }

  /** A fresh MPTCP connection to the remote, its first subflow over `link`, a link that is up, or the winner of a race. */
  async #openFresh(target: UpstreamTarget, link?: MonitoredLink): Promise<Opened> {
    const opened = await openOverLinks(this.#links, (sourceAddress) => openUpstream(target, this.#keepaliveRefused, sourceAddress === undefined ? {} : { sourceAddress }), link);
    this.#metrics.freshLink.inc({ link: opened.link ? `${opened.raced ? 'race-' : ''}${opened.link.name}` : 'route' });
    return opened;
  }

  #destinationOf(client: net.Socket): Destination {
    // An IPv4 client on a dual-stack listener shows as ::ffff:a.b.c.d, but its conntrack entry is IPv4.
    const family = client.remoteFamily === 'IPv6' && !/^::ffff:\d+\./.test(client.remoteAddress ?? '') ? 6 : 4;
    const destination: Destination =
      this.#config.interception === 'tproxy'
        ? // TPROXY does not rewrite the packet: the socket's own address is where the client was headed.
          { address: (client.localAddress ?? '').replace(/^::ffff:(?=\d+\.)/, ''), port: client.localPort ?? 0, family }
        : originalDestination(fdOf(client), family);
    // Not redirected (someone connected to the relay port itself): relaying it would loop.
    if (destination.port === this.#listenPort && client.localAddress?.endsWith(destination.address)) throw new Error('connection was not redirected');
    return destination;
  }

  #sampleSubflows(upstream: net.Socket): void {
    if (upstream.destroyed) return;
    const state = mptcpState(fdOf(upstream));
    if (state) this.#metrics.subflows.observe(state.subflows);
    if (state && !state.mptcp) this.#metrics.errors.inc({ kind: 'mptcp-fallback' });
  }
}

/** Whatever the client sends within waitMs (possibly nothing), read off the socket. */
function firstBytes(client: net.Socket, waitMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('readable', done).off('end', done).off('close', done);
      const chunks: Buffer[] = [];
      for (let chunk: Buffer | null; (chunk = client.read() as Buffer | null) !== null; ) chunks.push(chunk);
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(done, waitMs);
    client.on('readable', done).on('end', done).on('close', done);
  });
}
