// The warm pool: MPTCP connections to the remote opened ahead of need, each with a
// hello exchanged so the kernel has joined the other subflows, so that a client
// connection pays no WAN handshake at all. Sized from the recent connection rate
// (enough for `horizonMs` of connections), between a floor and a cap. Each pooled
// connection keeps the challenge of its hello's answer, which its connect header must carry.
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import type { LocalConfig } from './config.ts';
import type { KeepaliveRefused } from './keepalive.ts';
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import { encodeHeader, NONCE_BYTES, PROTOCOL_VERSION } from './protocol.ts';
import { answerProblem, openUpstream, readAnswer, type UpstreamTarget } from './upstream.ts';

const MAX_BACKOFF_MS = 30_000;
const FIRST_BACKOFF_MS = 200;
const TICK_MS = 1_000;

/** A warm connection, taken from the pool for one client connection. */
export interface PooledUpstream {
  socket: net.Socket;
  /** From the remote's answer to the hello: the connect header's MAC covers it. */
  challenge: Buffer;
}

interface Idle extends PooledUpstream {
  sinceMs: number;
  /** Removes the pool's listeners (which evict the connection if the remote closes it). */
  detach: () => void;
}

export interface PoolOptions {
  target: UpstreamTarget;
  /** Opens a fresh connection (over a link that is up, or racing them); default: wherever routing says. */
  open?: () => Promise<net.Socket>;
  key: LocalConfig['key'];
  pool: LocalConfig['pool'];
  connectTimeoutMs: number;
  metrics: RelayMetrics;
  log: Logger;
  keepaliveRefused: KeepaliveRefused;
  random?: () => number;
}

/** Why a pooled connection could not be warmed. */
export class WarmError extends Error {
  constructor(readonly problem: string) {
    super(
      problem === 'reset-without-answer'
        ? `the remote reset the hello without an answer: it does not speak protocol version ${PROTOCOL_VERSION} (an older mprelay remote?), or it is over its limit for unauthenticated connections`
        : `hello not accepted: ${problem}`,
    );
    this.name = 'WarmError';
  }
}

export class UpstreamPool {
  readonly #options: PoolOptions;
  readonly #idle: Idle[] = [];
  /** Start times of recent take() calls, for the rate. */
  readonly #takes: number[] = [];
  #key: LocalConfig['key'];
  #opening = 0;
  /** Rounds of failures in a row: the attempts of one round share one escalation. */
  #failedRounds = 0;
  #lastFailureAtMs = -Infinity;
  #retryAtMs = 0;
  #tick: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#key = options.key;
  }

  start(): void {
    this.#tick = setInterval(() => this.#maintain(), TICK_MS);
    this.#tick.unref();
    this.#maintain();
  }

  /** A new key (SIGHUP): connections warmed with the old one are closed and replaced. */
  rekey(key: LocalConfig['key']): void {
    this.#key = key;
    for (const entry of this.#idle.splice(0)) this.#close(entry);
    this.#maintain();
  }

  /** A warm connection (paused, hello done), or undefined on a miss. Triggers a refill either way. */
  take(): PooledUpstream | undefined {
    this.#takes.push(Date.now());
    const entry = this.#idle.pop(); // newest first: the freshest NAT and subflow state
    if (entry) {
      entry.detach();
      entry.socket.pause();
    }
    this.#options.metrics.poolIdle.set(this.#idle.length);
    (entry ? this.#options.metrics.poolHits : this.#options.metrics.poolMisses).inc();
    this.#maintain();
    return entry && { socket: entry.socket, challenge: entry.challenge };
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /** How many warm connections the recent rate calls for. */
  target(nowMs = Date.now()): number {
    const { min, max, rateWindowMs, horizonMs } = this.#options.pool;
    while (this.#takes.length > 0 && (this.#takes[0] ?? 0) < nowMs - rateWindowMs) this.#takes.shift();
    const wanted = Math.ceil((this.#takes.length / rateWindowMs) * horizonMs);
    return Math.min(max, Math.max(min, wanted));
  }

  /** When the next refill may start after failures (0: now). */
  get retryAtMs(): number {
    return this.#retryAtMs;
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#tick);
    for (const entry of this.#idle.splice(0)) {
      entry.detach();
      entry.socket.destroy();
    }
    this.#options.metrics.poolIdle.set(0);
  }

  #maintain(): void {
    if (this.#stopped) return;
    const nowMs = Date.now();
    const target = this.target(nowMs);
    this.#trim(nowMs, target);
    this.#options.metrics.poolIdle.set(this.#idle.length);
    if (nowMs < this.#retryAtMs) return;
    for (let n = this.#idle.length + this.#opening; n < target; n++) void this.#warmOne();
  }

  /** Oldest first: connections idle too long, or beyond the target, are closed (FIN: the remote closes quietly). */
  #trim(nowMs: number, target: number): void {
    while (this.#idle.length > 0 && ((this.#idle[0]?.sinceMs ?? nowMs) <= nowMs - this.#options.pool.idleTimeoutMs || this.#idle.length > target)) {
      const entry = this.#idle.shift();
      if (entry) this.#close(entry);
    }
  }

  #close(entry: Idle): void {
    entry.detach();
    entry.socket.end();
  }

  async #warmOne(): Promise<void> {
    this.#opening++;
    const startedAtMs = Date.now();
    let socket: net.Socket | undefined;
    let challenge: Buffer;
    try {
      socket = await (this.#options.open ?? (async () => openUpstream(this.#options.target, this.#options.keepaliveRefused)))();
      this.#options.metrics.upstreamOpened.inc({ by: 'pool' });
      socket.on('error', () => {}); // the answer read below reports the failure
      challenge = await this.#hello(socket);
    } catch (error) {
      socket?.destroy();
      this.#opening--;
      this.#failed(error, startedAtMs);
      return;
    }
    this.#opening--;
    this.#failedRounds = 0;
    if (this.#stopped) return void socket.destroy();
    this.#park(socket, challenge);
  }

  /** Sends a hello and returns the challenge of its verified ok answer. */
  async #hello(socket: net.Socket): Promise<Buffer> {
    const key = this.#key;
    const nonce = randomBytes(NONCE_BYTES);
    socket.write(encodeHeader({ type: 'hello', keyId: key.id, timestampMs: Date.now(), nonce }, key.secret));
    const outcome = await readAnswer(socket, { hello: true, secret: key.secret, nonce, timeoutMs: this.#options.connectTimeoutMs });
    const problem = answerProblem(outcome);
    if (problem !== undefined || outcome.kind !== 'answer' || !outcome.challenge) throw new WarmError(problem ?? 'no challenge');
    return outcome.challenge;
  }

  #park(socket: net.Socket, challenge: Buffer): void {
    // The remote never speaks first on a parked connection: any byte, end or error means it is gone.
    const evict = () => {
      const at = this.#idle.indexOf(entry);
      if (at >= 0) this.#idle.splice(at, 1);
      detach();
      socket.destroy();
      this.#options.metrics.poolIdle.set(this.#idle.length);
      this.#maintain();
    };
    const detach = () => socket.off('data', evict).off('end', evict).off('close', evict);
    const entry: Idle = { socket, challenge, sinceMs: Date.now(), detach };
    socket.on('data', evict).on('end', evict).on('close', evict);
    socket.resume();
    this.#idle.push(entry);
    this.#options.metrics.poolIdle.set(this.#idle.length);
  }

  /**
   * Attempts that started before the last failure belong to its round (a refill opens
   * several at once): only the first failure of a round backs off further. The delay
   * has jitter, so many gateways that lost the same remote do not retry in step.
   */
  #failed(error: unknown, startedAtMs: number): void {
    this.#options.metrics.errors.inc({ kind: 'pool-open' });
    const sameRound = startedAtMs <= this.#lastFailureAtMs;
    this.#lastFailureAtMs = Date.now();
    if (sameRound) return;
    this.#failedRounds++;
    const ceilingMs = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(this.#failedRounds - 1, 10));
    const backoffMs = Math.round(ceilingMs * (0.5 + 0.5 * (this.#options.random ?? Math.random)()));
    this.#retryAtMs = this.#lastFailureAtMs + backoffMs;
    if (this.#failedRounds === 1 || this.#failedRounds % 10 === 0) this.#options.log.warn('pool connection failed', { error, failedRounds: this.#failedRounds, retryInMs: backoffMs });
  }
}
