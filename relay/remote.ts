// The remote side: an MPTCP listener on the public internet. Each connection sends a
// header (optionally a hello first, when it is pooled); an authenticated connect header
// to an allowed destination gets a plain TCP connection there, one status byte back,
// then both directions piped. Nothing a peer without the key sends makes it connect out.
import net from 'node:net';
import type { RemoteConfig } from './config.ts';
import { LogThrottle, type Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import { pipeBoth } from './pipe.ts';
import { DestinationPolicy } from './policy.ts';
import { HeaderDecoder, HeaderError, STATUS, type ConnectHeader, type StatusName } from './protocol.ts';
import { ReplayGuard } from './replay.ts';
import { keepaliveReporter, tuneKeepalive, type KeepaliveRefused } from './keepalive.ts';
import { mptcpListenerFd } from './sockets.ts';

/** After answering a refusal, how long to keep reading (and discarding) so the status byte is not lost to a reset. */
const REFUSAL_LINGER_MS = 2_000;
const REJECT_LOG_PERIOD_MS = 60_000;

export interface RemoteOptions {
  config: RemoteConfig;
  log: Logger;
  metrics: RelayMetrics;
  /** The policy's view of this host's own addresses (default: the interfaces). */
  ownAddresses?: () => readonly string[];
}

type Rejection = HeaderError['kind'] | 'stale' | 'replay' | 'header-timeout';

export class RemoteRelay {
  readonly #config: RemoteConfig;
  readonly #log: Logger;
  readonly #metrics: RelayMetrics;
  readonly #server: net.Server;
  readonly #policy: DestinationPolicy;
  readonly #replay: ReplayGuard;
  readonly #keys: Map<number, Buffer>;
  readonly #rejectLog = new LogThrottle(REJECT_LOG_PERIOD_MS);
  /** Connections still waiting for a header: closed at once on stop. */
  readonly #waiting = new Set<net.Socket>();
  /** Connections being relayed: given drainTimeoutMs on stop. */
  readonly #relaying = new Set<net.Socket>();
  #open = 0;
  readonly #keepaliveRefused: KeepaliveRefused;

  constructor(options: RemoteOptions) {
    this.#config = options.config;
    this.#log = options.log;
    this.#metrics = options.metrics;
    this.#keepaliveRefused = keepaliveReporter(options.metrics, options.log);
    this.#policy = new DestinationPolicy(options.config.allowDestinations, options.ownAddresses);
    this.#replay = new ReplayGuard(options.config.replayWindowMs);
    this.#keys = new Map(options.config.keys.map((k) => [k.id, k.secret]));
    this.#server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) => this.#accept(socket));
  }

  /** Binds the MPTCP listener; resolves with the bound address (port 0 picks one). */
  async start(): Promise<net.AddressInfo> {
    const { address, port } = this.#config.listen;
    const fd = mptcpListenerFd({ host: address, port, fastOpenQueue: this.#config.fastOpenQueue });
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ fd }, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const bound = this.#server.address() as net.AddressInfo;
    this.#log.info('remote listening', { address: bound.address, port: bound.port, keyIds: [...this.#keys.keys()] });
    return bound;
  }

  get openConnections(): number {
    return this.#open;
  }

  /** Stops accepting, closes idle pooled connections, lets relayed ones finish for drainTimeoutMs, then closes them. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#waiting) socket.destroy();
    const deadline = Date.now() + this.#config.drainTimeoutMs;
    while (this.#relaying.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const socket of this.#relaying) socket.resetAndDestroy();
    await closed;
    this.#log.info('remote stopped');
  }

  #accept(socket: net.Socket): void {
    this.#open++;
    this.#metrics.activeConnections.inc();
    socket.once('close', () => {
      this.#open--;
      this.#metrics.activeConnections.dec();
      this.#waiting.delete(socket);
      this.#relaying.delete(socket);
    });
    socket.on('error', () => {}); // handled where it matters (pipe, connect); otherwise the close is enough
    if (this.#open > this.#config.maxConnections) {
      this.#metrics.errors.inc({ kind: 'overload' });
      this.#refuse(socket, 'overload');
      return;
    }
    socket.setNoDelay(true);
    tuneKeepalive(socket, this.#config.keepalive, this.#keepaliveRefused);
    this.#waiting.add(socket);
    this.#awaitHeader(socket);
  }

  #awaitHeader(socket: net.Socket): void {
    const decoder = new HeaderDecoder((id) => this.#keys.get(id));
    const source = socket.remoteAddress ?? 'unknown';
    let timer = setTimeout(() => reject('header-timeout'), this.#config.headerTimeoutMs);
    const reject = (kind: Rejection, detail?: string) => {
      clearTimeout(timer);
      socket.off('data', onData);
      this.#metrics.errors.inc({ kind: `header-${kind}` });
      this.#metrics.connections.inc({ result: 'rejected' });
      const suppressed = this.#rejectLog.admit(source);
      if (suppressed !== undefined) this.#log.warn('header rejected', { source, kind, detail, suppressedSinceLast: suppressed });
      // A peer that holds a key (stale clock, replayed, old key id) is told; anything else is just dropped.
      if (kind === 'mac' || kind === 'unknown-key' || kind === 'stale' || kind === 'replay') this.#refuse(socket, 'authFailure');
      else socket.resetAndDestroy();
    };
    const onData = (chunk: Buffer) => {
      let result;
      try {
        result = decoder.push(chunk);
      } catch (error) {
        if (error instanceof HeaderError) return reject(error.kind, error.message);
        throw error;
      }
      if (result.state === 'need-more') return;
      const verdict = this.#replay.check(result.header.timestampMs, result.header.nonce);
      if (verdict !== 'ok') return reject(verdict);
      if (result.header.type === 'hello') {
        // Pooled: answer so the local knows it is warm (and the join happened), then wait longer.
        socket.write(Buffer.from([STATUS.ok]));
        clearTimeout(timer);
        timer = setTimeout(() => reject('header-timeout'), this.#config.pooledIdleTimeoutMs);
        if (result.rest.length > 0) onData(result.rest);
        return;
      }
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      this.#waiting.delete(socket);
      void this.#connect(socket, result.header, result.rest);
    };
    socket.on('data', onData);
    socket.once('close', () => clearTimeout(timer));
  }

  async #connect(socket: net.Socket, header: ConnectHeader, earlyData: Buffer): Promise<void> {
    const { address, port } = header.destination;
    const refusal = this.#policy.check(address);
    if (refusal) {
      this.#metrics.errors.inc({ kind: `policy-${refusal}` });
      this.#metrics.connections.inc({ result: 'policyRefused' });
      const suppressed = this.#rejectLog.admit(`policy ${socket.remoteAddress}`);
      if (suppressed !== undefined) this.#log.warn('destination refused', { source: socket.remoteAddress, address, port, reason: refusal, suppressedSinceLast: suppressed });
      return this.#refuse(socket, 'policyRefused');
    }
    this.#relaying.add(socket);
    const outcome = await connectTcp(address, port, this.#config.connectTimeoutMs);
    if (socket.destroyed) {
      if ('socket' in outcome) outcome.socket.destroy();
      return;
    }
    if (!('socket' in outcome)) {
      this.#metrics.errors.inc({ kind: `connect-${outcome.status}` });
      this.#metrics.connections.inc({ result: outcome.status });
      this.#log.info('destination connect failed', { address, port, status: outcome.status, code: outcome.code });
      return this.#refuse(socket, outcome.status);
    }
    const upstream = outcome.socket;
    upstream.setNoDelay(true);
    tuneKeepalive(upstream, this.#config.keepalive, this.#keepaliveRefused);
    socket.write(Buffer.from([STATUS.ok]));
    if (earlyData.length > 0) upstream.write(earlyData);
    socket.resume();
    const result = await pipeBoth(socket, upstream, { idleTimeoutMs: this.#config.idleTimeoutMs });
    this.#metrics.bytes.inc({ direction: 'upstream' }, result.aToB);
    this.#metrics.bytes.inc({ direction: 'downstream' }, Math.max(0, result.bToA - 1));
    this.#metrics.connections.inc({ result: result.error ?? 'ok' });
    this.#log.debug('relay closed', { address, port, ...result });
  }

  /** Answers one status byte, half-closes, and discards what the peer still sends until it closes. */
  #refuse(socket: net.Socket, status: StatusName): void {
    this.#waiting.delete(socket);
    socket.end(Buffer.from([STATUS[status]]));
    socket.resume();
    socket.once('end', () => socket.destroy());
    setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
  }
}

type ConnectOutcome = { socket: net.Socket } | { status: 'refused' | 'unreachable' | 'timeout'; code: string };

function connectTcp(host: string, port: number, timeoutMs: number): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ status: 'timeout', code: 'ETIMEDOUT' });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve({ socket });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = error.code ?? 'UNKNOWN';
      resolve({ status: code === 'ECONNREFUSED' ? 'refused' : code === 'ETIMEDOUT' ? 'timeout' : 'unreachable', code });
    });
  });
}
