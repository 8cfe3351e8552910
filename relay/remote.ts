// The remote side: an MPTCP listener on the public internet. Each connection sends a
// header (optionally a hello first, when it is pooled); an authenticated connect header
// to an allowed destination gets a plain TCP connection there, an authenticated answer
// back, then both directions piped. Nothing a peer without the key sends makes it connect
// out, and until a connection authenticates it counts against a small budget of its own.
import net from 'node:net';
import type { RemoteConfig } from './config.ts';
import { LogThrottle, type Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import { pipeBoth } from './pipe.ts';
import { UnsentBytes } from './unsent.ts';
import { DestinationPolicy } from './policy.ts';
import { UnauthenticatedBudget } from './admission.ts';
import { Handshake, type Decision, type Rejection } from './handshake.ts';
import { STATUS, unauthenticatedAnswer } from './protocol.ts';
import { ReplayGuard } from './replay.ts';
import { keepaliveReporter, tuneKeepalive, type KeepaliveRefused } from './keepalive.ts';
import { ProbeResponder } from './probe-responder.ts';
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

/** What a reload changes on a running remote; any other field takes a restart. */
const RELOADED: ReadonlySet<keyof RemoteConfig> = new Set(['keys', 'allowDestinations', 'denyDestinations', 'ownAddresses']);

function keysOf(config: RemoteConfig): Map<number, Buffer> {
  return new Map(config.keys.map((k) => [k.id, k.secret]));
}

export class RemoteRelay {
  readonly #config: RemoteConfig;
  readonly #log: Logger;
  readonly #metrics: RelayMetrics;
  /** What the relayed connections hold unsent (mprelay_unsent_bytes). */
  readonly #unsent = new UnsentBytes();
  readonly #server: net.Server;
  #policy: DestinationPolicy;
  readonly #replay: ReplayGuard;
  #keys: Map<number, Buffer>;
  readonly #unauthenticated: UnauthenticatedBudget;
  readonly #ownAddresses: (() => readonly string[]) | undefined;
  readonly #rejectLog = new LogThrottle(REJECT_LOG_PERIOD_MS);
  /** Connections still waiting for a header: closed at once on stop. */
  readonly #waiting = new Set<net.Socket>();
  /** Connections being relayed: given drainTimeoutMs on stop. */
  readonly #relaying = new Set<net.Socket>();
  #open = 0;
  readonly #keepaliveRefused: KeepaliveRefused;
  /** Answers the locals' link probes on the listen address's UDP port. */
  readonly #probes: ProbeResponder;

  constructor(options: RemoteOptions) {
    this.#config = options.config;
    this.#log = options.log;
    this.#metrics = options.metrics;
    options.metrics.measureUnsent(() => this.#unsent.total());
    this.#keepaliveRefused = keepaliveReporter(options.metrics, options.log);
    this.#ownAddresses = options.ownAddresses;
    this.#policy = this.#policyFor(options.config);
    this.#replay = new ReplayGuard(options.config.replayWindowMs);
    this.#keys = keysOf(options.config);
    this.#unauthenticated = new UnauthenticatedBudget(options.config.unauthenticated);
    this.#server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) => this.#accept(socket));
    this.#probes = new ProbeResponder({
      listen: options.config.listen,
      secretOf: (id) => this.#keys.get(id),
      replayWindowMs: options.config.replayWindowMs,
      silenceMs: options.config.probes.downAfterMs,
      metrics: options.metrics,
      log: options.log,
    });
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
    await this.#probes.start(bound.port);
    this.#log.info('remote listening', { address: bound.address, port: bound.port, keyIds: [...this.#keys.keys()] });
    return bound;
  }

  get openConnections(): number {
    return this.#open;
  }

  /**
   * Takes the keys and the destination policy of a new config (SIGHUP); open connections
   * go on. Returns the fields that differ but need a restart to take effect.
   */
  reload(config: RemoteConfig): string[] {
    this.#keys = keysOf(config);
    this.#policy = this.#policyFor(config);
    this.#log.info('reloaded', { keyIds: [...this.#keys.keys()] });
    const fields = Object.keys(config) as Array<keyof RemoteConfig>;
    return fields.filter((field) => !RELOADED.has(field) && JSON.stringify(config[field]) !== JSON.stringify(this.#config[field]));
  }

  #policyFor(config: RemoteConfig): DestinationPolicy {
    return new DestinationPolicy({ allow: config.allowDestinations, deny: config.denyDestinations, ownAddresses: config.ownAddresses }, this.#ownAddresses);
  }

  /** Stops accepting, closes idle pooled connections, lets relayed ones finish for drainTimeoutMs, then closes them. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#probes.stop();
    for (const socket of this.#waiting) socket.destroy();
    const deadline = Date.now() + this.#config.drainTimeoutMs;
    while (this.#relaying.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const socket of this.#relaying) socket.resetAndDestroy();
    await closed;
    this.#log.info('remote stopped');
  }

  #accept(socket: net.Socket): void {
    const source = socket.remoteAddress ?? 'unknown';
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
      this.#metrics.connections.inc({ result: 'overload' });
      return this.#refuse(socket, unauthenticatedAnswer(STATUS.overload));
    }
    const admitted = this.#unauthenticated.admit(source);
    if (admitted !== 'ok') {
      // No answer and no log line per connection: this is what a flood looks like.
      this.#metrics.errors.inc({ kind: `unauthenticated-${admitted}` });
      this.#metrics.connections.inc({ result: 'dropped' });
      return void socket.resetAndDestroy();
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#unauthenticated.release(source);
    };
    socket.once('close', release);
    socket.setNoDelay(true);
    tuneKeepalive(socket, this.#config.keepalive, this.#keepaliveRefused);
    this.#waiting.add(socket);
    this.#awaitHeader(socket, source, release);
  }

  #awaitHeader(socket: net.Socket, source: string, authenticated: () => void): void {
    const handshake = new Handshake((id) => this.#keys.get(id), this.#replay);
    let timer: NodeJS.Timeout | undefined;
    const deadline = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => decide(handshake.timeout()), ms);
    };
    const stopListening = () => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onEnd);
    };
    const decide = (decision: Decision | undefined) => {
      if (!decision) return;
      if (decision.do === 'pool') {
        authenticated();
        socket.write(decision.answer);
        return deadline(this.#config.pooledIdleTimeoutMs);
      }
      stopListening();
      if (decision.do === 'connect') authenticated();
      this.#carryOut(socket, source, decision);
    };
    const onData = (chunk: Buffer) => {
      try {
        decide(handshake.data(chunk));
      } catch (error) {
        stopListening();
        this.#internalError(socket, error);
      }
    };
    const onEnd = () => decide(handshake.end());
    deadline(this.#config.unauthenticated.headerTimeoutMs);
    socket.on('data', onData).on('end', onEnd);
    socket.once('close', () => clearTimeout(timer));
  }

  #carryOut(socket: net.Socket, source: string, decision: Exclude<Decision, { do: 'pool' }>): void {
    switch (decision.do) {
      case 'connect':
        socket.pause();
        this.#waiting.delete(socket);
        this.#connect(socket, source, decision).catch((error: unknown) => this.#internalError(socket, error));
        return;
      case 'close':
        this.#metrics.connections.inc({ result: decision.pooled ? 'pool-closed' : 'closed-before-header' });
        this.#waiting.delete(socket);
        socket.end();
        socket.destroySoon();
        return;
      case 'refuse':
      case 'drop':
        this.#rejected(source, decision.kind, decision.detail);
        if (decision.do === 'refuse') this.#refuse(socket, decision.answer);
        else socket.resetAndDestroy();
    }
  }

  #rejected(source: string, kind: Rejection, detail: string): void {
    this.#metrics.errors.inc({ kind: `header-${kind}` });
    this.#metrics.connections.inc({ result: 'rejected' });
    const suppressed = this.#rejectLog.admit(source);
    if (suppressed !== undefined) this.#log.warn('header rejected', { source, kind, detail, suppressedSinceLast: suppressed });
  }

  #internalError(socket: net.Socket, error: unknown): void {
    this.#metrics.errors.inc({ kind: 'internal' });
    this.#log.error('connection failed inside the relay', { source: socket.remoteAddress, error });
    if (!socket.destroyed) socket.resetAndDestroy();
  }

  async #connect(socket: net.Socket, source: string, request: Extract<Decision, { do: 'connect' }>): Promise<void> {
    const { address, port } = request.header.destination;
    const refusal = this.#policy.check(address);
    if (refusal) {
      this.#metrics.errors.inc({ kind: `policy-${refusal}` });
      this.#metrics.connections.inc({ result: 'policyRefused' });
      const suppressed = this.#rejectLog.admit(`policy ${source}`);
      if (suppressed !== undefined) this.#log.warn('destination refused', { source, address, port, reason: refusal, suppressedSinceLast: suppressed });
      return this.#refuse(socket, request.answer('policyRefused'));
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
      const suppressed = this.#rejectLog.admit(`connect ${source}`);
      if (suppressed !== undefined) this.#log.info('destination connect failed', { source, address, port, status: outcome.status, code: outcome.code, suppressedSinceLast: suppressed });
      return this.#refuse(socket, request.answer(outcome.status));
    }
    await this.#relay(socket, outcome.socket, request);
  }

  async #relay(socket: net.Socket, upstream: net.Socket, request: Extract<Decision, { do: 'connect' }>): Promise<void> {
    upstream.setNoDelay(true);
    tuneKeepalive(upstream, this.#config.keepalive, this.#keepaliveRefused);
    socket.write(request.answer('ok'));
    if (request.early.length > 0) upstream.write(request.early);
    socket.resume();
    const result = await pipeBoth(socket, upstream, { idleTimeoutMs: this.#config.idleTimeoutMs, notSentLowatBytes: this.#config.notSentLowatBytes, unsent: this.#unsent });
    this.#metrics.bytes.inc({ direction: 'upstream' }, result.aToB + request.early.length);
    this.#metrics.bytes.inc({ direction: 'downstream' }, result.bToA);
    this.#metrics.connections.inc({ result: result.error ?? 'ok' });
    this.#log.debug('relay closed', { destination: request.header.destination, ...result });
  }

  /** Answers, half-closes, and discards what the peer still sends until it closes. */
  #refuse(socket: net.Socket, answer: Buffer): void {
    this.#waiting.delete(socket);
    socket.end(answer);
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
