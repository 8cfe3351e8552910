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
import { HeldRequest } from './held-request.ts';
import { unmappedIpv4 } from './ip.ts';
import { pipeBoth } from './pipe.ts';
import { UnsentBytes } from './unsent.ts';
import { UpstreamPool } from './pool.ts';
import { encodeHeader, isRelayable, NONCE_BYTES, type Destination } from './protocol.ts';
import { keepaliveReporter, tuneKeepalive, type KeepaliveRefused } from './keepalive.ts';
import { Links } from './links.ts';
import { UserspacePm } from './mptcp-pm.ts';
import { PathManager, selectedPathManager, userspacePmProblem } from './paths.ts';
import { openOverLinks, type Opened, type OpenHow } from './race.ts';
import { fdOf, mptcpState, mptcpUnackedBytes, originalDestination, SocketCallError, transparentListenerFd } from './sockets.ts';
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
  /** Taken from the pool (only those can be dead on arrival: a fresh one has just connected). */
  pooled: boolean;
  /** The link of the connection's first subflow (undefined: routing chose). */
  link: string | undefined;
}

/**
 * A request that got no answer: a pooled connection that looks dead is replaced; the
 * request is sent again, on another link if one is up, at most this many times.
 */
const MAX_REPLAYS = 2;
/** The client's bytes held for a replay, at most (the client waits past it, until the answer). */
const HELD_REQUEST_BYTES = 64 * 1024;

export class LocalRelay {
  readonly #config: LocalConfig;
  readonly #log: Logger;
  readonly #metrics: RelayMetrics;
  /** What the relayed connections hold unsent (mprelay_unsent_bytes). */
  readonly #unsent = new UnsentBytes();
  readonly #server: net.Server;
  readonly #pool: UpstreamPool;
  readonly #target: UpstreamTarget;
  /** The WAN links' monitor and switch, when the config names links. */
  readonly #links: Links | undefined;
  /** The relay's own path manager (paths.manager: userspace), started with the links. */
  #paths: { manager: PathManager; pm: UserspacePm } | undefined;
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
    options.metrics.measureUnsent(() => this.#unsent.total());
    this.#keepaliveRefused = keepaliveReporter(options.metrics, options.log);
    this.#target = { address: config.remote.address, port: config.remote.port, fastOpen: config.fastOpen, keepalive: config.keepalive };
    this.#links = config.links.length > 0 ? new Links({ config, metrics: options.metrics, log: options.log, onChange: () => this.#paths?.manager.linksChanged() }) : undefined;
    // Pooled connections are opened ahead of need: Fast Open would save them nothing.
    const pooledTarget = { ...this.#target, fastOpen: false };
    this.#pool = new UpstreamPool({
      target: pooledTarget,
      open: (link) => this.#openFresh(pooledTarget, link ? { link } : {}),
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
    if (this.#links && this.#config.paths.manager === 'userspace') this.#startPaths(this.#links);
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
    const socket = pooled ? pooled.socket : (await this.#openFresh(this.#target, { noRace: this.#config.fastOpen })).socket;
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
    this.#paths?.manager.stop();
    this.#paths?.pm.close();
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
    const held = new HeldRequest(client, HELD_REQUEST_BYTES);
    const request = await this.#request(client, held, destination);
    held.release();
    if (!request) return;
    await this.#relay(client, request.upstream, destination, held.bytes);
  }

  /**
   * Sends the request and waits for its verified ok answer. A pooled connection that
   * gives no answer within the replay delay, and has not even acknowledged the header
   * (so the remote never held it), is dead: the request goes again, with a new nonce, on
   * another connection. Undefined after anything else ends it (the client is reset or gone).
   */
  async #request(client: net.Socket, held: HeldRequest, destination: Destination): Promise<SentRequest | undefined> {
    let avoid: string | undefined;
    for (let replays = 0; ; replays++) {
      const request = await this.#sendRequest(client, held, destination, avoid);
      if (!request) return undefined;
      const replayAfterMs = request.pooled && replays < MAX_REPLAYS ? this.#replayAfterMs(request.link) : undefined;
      const problem = await this.#answer(client, request, replayAfterMs);
      if (problem === 'dead') {
        this.#metrics.replays.inc({ link: request.link ?? 'route' });
        this.#log.info('pooled connection gave no answer and acknowledged nothing: request sent again', { destination, link: request.link, replay: replays + 1 });
        request.upstream.resetAndDestroy();
        avoid = request.link;
        continue;
      }
      if (problem === undefined) return request;
      request.upstream.destroy();
      if (client.destroyed) return void this.#metrics.connections.inc({ result: 'client-gone' });
      this.#metrics.errors.inc({ kind: `remote-${problem}` });
      this.#metrics.connections.inc({ result: problem });
      if (problem === 'answer-mac') this.#log.warn('answer from the remote does not verify: not our remote, or tampered with on the way', { destination });
      return void client.resetAndDestroy();
    }
  }

  /** How long a pooled connection has to answer before it is taken for dead: 3 of its link's round trips, at least 300 ms. */
  #replayAfterMs(link: string | undefined): number {
    const srttMs = link === undefined ? undefined : this.#links?.srttMs(link);
    return Math.max(this.#config.failover.replayMinMs, this.#config.failover.replayRttFactor * (srttMs ?? 0));
  }

  /**
   * The answer's problem (undefined: a verified ok), or 'dead' when `replayAfterMs` is
   * given and passes with no answer and the header still unacknowledged. A client that
   * goes away ends the wait.
   */
  async #answer(client: net.Socket, request: SentRequest, replayAfterMs: number | undefined): Promise<string | undefined> {
    const { upstream } = request;
    const gone = () => upstream.destroy();
    client.once('close', gone);
    if (client.destroyed) gone();
    try {
      const answer = readAnswer(upstream, { hello: false, secret: request.secret, nonce: request.nonce, timeoutMs: this.#config.statusTimeoutMs }).then(answerProblem);
      if (replayAfterMs === undefined) return await answer;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), replayAfterMs)));
      const first = await Promise.race([answer, late]);
      clearTimeout(timer);
      if (first !== 'late') return first;
      return !client.destroyed && headerUnacknowledged(upstream) ? 'dead' : await answer;
    } finally {
      client.off('close', gone);
    }
  }

  /**
   * Writes the connect header and the client's bytes so far, after giving the client up
   * to earlyDataWaitMs to speak (so that its request goes in the same write), on a pooled
   * connection, or on a fresh one for a pool miss (the wait only with Fast Open, where its
   * bytes ride in the SYN); none started on `avoid`, the link of a dead one.
   */
  async #sendRequest(client: net.Socket, held: HeldRequest, destination: Destination, avoid: string | undefined): Promise<SentRequest | undefined> {
    const key = this.#key;
    const nonce = randomBytes(NONCE_BYTES);
    const header = { type: 'connect' as const, keyId: key.id, timestampMs: Date.now(), nonce, destination };
    const pooled = this.#pool.take(avoid);
    if (pooled) {
      await held.firstBytes(this.#config.earlyDataWaitMs);
      if (client.destroyed) return void pooled.socket.destroy();
      held.sendTo(pooled.socket, encodeHeader(header, key.secret, pooled.challenge));
      return { upstream: pooled.socket, nonce, secret: key.secret, pooled: true, link: pooled.link };
    }
    if (this.#config.fastOpen) await held.firstBytes(this.#config.earlyDataWaitMs);
    if (client.destroyed) return undefined;
    let opened: Opened;
    try {
      opened = await this.#openFresh(this.#target, { ...(avoid === undefined ? {} : { avoid }), noRace: this.#config.fastOpen });
      this.#metrics.upstreamOpened.inc({ by: 'miss' });
    } catch (error) {
      const socketCall = error instanceof SocketCallError;
      this.#metrics.errors.inc({ kind: socketCall ? 'upstream-socket' : 'upstream-connect' });
      this.#log.error(socketCall ? 'cannot create MPTCP socket' : 'no link reached the remote', { error });
      return void client.resetAndDestroy();
    }
    if (client.destroyed) return void opened.socket.destroy();
    held.sendTo(opened.socket, encodeHeader(header, key.secret));
    return { upstream: opened.socket, nonce, secret: key.secret, pooled: false, link: opened.link?.name };
  }

  /** Pipes client and upstream once the answer is in; `heldBytes` of the client's went before the pipe. */
  async #relay(client: net.Socket, upstream: net.Socket, destination: Destination, heldBytes: number): Promise<void> {
    const result = await pipeBoth(client, upstream, {
      idleTimeoutMs: this.#config.idleTimeoutMs,
      notSentLowatBytes: this.#config.notSentLowatBytes,
      unsent: this.#unsent,
      onAEnd: () => this.#sampleSubflows(upstream),
    });
    this.#metrics.connections.inc({ result: result.error ?? 'ok' });
    this.#metrics.bytes.inc({ direction: 'upstream' }, result.aToB + heldBytes);
    this.#metrics.bytes.inc({ direction: 'downstream' }, result.bToA);
    this.#log.debug('connection closed', { destination, outcome: result.error ?? 'ok', ...result });
  }

  /** A fresh MPTCP connection to the remote, its first subflow over the link `how` asks for, or the winner of a race over the links. */
  async #openFresh(target: UpstreamTarget, how: OpenHow): Promise<Opened> {
    const opened = await openOverLinks(this.#links, (sourceAddress) => openUpstream(target, this.#keepaliveRefused, sourceAddress === undefined ? {} : { sourceAddress }), how);
    this.#metrics.freshLink.inc({ link: opened.link ? `${opened.raced ? 'race-' : ''}${opened.link.name}` : 'route' });
    this.#paths?.manager.adopt(opened.socket, opened.link?.name);
    return opened;
  }

  /** Becomes the namespace's path manager for its own connections; refuses to start when the kernel's is selected. */
  #startPaths(links: Links): void {
    const selected = selectedPathManager();
    const problem = userspacePmProblem(selected);
    if (problem) throw new Error(`paths.manager is userspace, but ${problem}`);
    if (selected === 'unreadable') this.#log.warn('cannot read net.mptcp.path_manager (/proc/sys hidden): if it is not userspace, every subflow command fails (mprelay_path_changes_total{result="failed"})');
    const pm = UserspacePm.open();
    const manager = new PathManager({ config: this.#config, links, pm, metrics: this.#metrics, log: this.#log });
    manager.start();
    this.#paths = { manager, pm };
  }

  #destinationOf(client: net.Socket): Destination {
    // An IPv4 client on a dual-stack listener shows as ::ffff:a.b.c.d, but its conntrack entry is IPv4.
    const family = client.remoteFamily === 'IPv6' && !/^::ffff:\d+\./.test(client.remoteAddress ?? '') ? 6 : 4;
    const destination: Destination =
      this.#config.interception === 'tproxy'
        ? // TPROXY does not rewrite the packet: the socket's own address is where the client was headed.
          { address: unmappedIpv4(client.localAddress ?? ''), port: client.localPort ?? 0, family }
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

/** Whether the remote has not acknowledged all that was written to it (or cannot say: not MPTCP, or closed). */
function headerUnacknowledged(upstream: net.Socket): boolean {
  try {
    return (mptcpUnackedBytes(fdOf(upstream)) ?? 1) > 0;
  } catch {
    return true; // no descriptor: the connection is gone
  }
}
