// The warm pool: MPTCP connections to the remote opened ahead of need, each with a
// hello exchanged so the kernel has joined the other subflows, so that a client
// connection pays no WAN handshake at all. Sized from the recent connection rate
// (enough for `horizonMs` of connections), between a floor and a cap.
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import type { LocalConfig } from './config.ts';
import type { KeepaliveRefused } from './keepalive.ts';
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import { encodeHeader, NONCE_BYTES, STATUS } from './protocol.ts';
import { openUpstream, readStatus, type UpstreamTarget } from './upstream.ts';

const MAX_BACKOFF_MS = 30_000;
const TICK_MS = 1_000;

interface Idle {
  socket: net.Socket;
  sinceMs: number;
  /** Removes the pool's listeners (which evict the connection if the remote closes it). */
  detach: () => void;
}

export interface PoolOptions {
  target: UpstreamTarget;
  key: LocalConfig['key'];
  pool: LocalConfig['pool'];
  connectTimeoutMs: number;
  metrics: RelayMetrics;
  log: Logger;
  keepaliveRefused: KeepaliveRefused;
}

export class UpstreamPool {
  readonly #options: PoolOptions;
  readonly #idle: Idle[] = [];
  /** Start times of recent take() calls, for the rate. */
  readonly #takes: number[] = [];
  #opening = 0;
  #failures = 0;
  #retryAtMs = 0;
  #tick: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: PoolOptions) {
    this.#options = options;
  }

  start(): void {
    this.#tick = setInterval(() => this.#maintain(), TICK_MS);
    this.#tick.unref();
    this.#maintain();
  }

  /** A warm connection (paused, hello done), or undefined on a miss. Triggers a refill either way. */
  take(): net.Socket | undefined {
    this.#takes.push(Date.now());
    const entry = this.#idle.pop(); // newest first: the freshest NAT and subflow state
    if (entry) {
      entry.detach();
      entry.socket.pause();
    }
    this.#options.metrics.poolIdle.set(this.#idle.length);
    (entry ? this.#options.metrics.poolHits : this.#options.metrics.poolMisses).inc();
    this.#maintain();
    return entry?.socket;
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
    // Oldest first: connections idle too long are closed (a replacement follows below if still needed).
    while (this.#idle.length > 0 && ((this.#idle[0]?.sinceMs ?? nowMs) <= nowMs - this.#options.pool.idleTimeoutMs || this.#idle.length > target)) {
      const entry = this.#idle.shift();
      entry?.detach();
      entry?.socket.end();
    }
    this.#options.metrics.poolIdle.set(this.#idle.length);
    if (nowMs < this.#retryAtMs) return;
    for (let n = this.#idle.length + this.#opening; n < target; n++) void this.#warmOne();
  }

  async #warmOne(): Promise<void> {
    this.#opening++;
    let socket: net.Socket | undefined;
    try {
      socket = openUpstream(this.#options.target, this.#options.keepaliveRefused);
      this.#options.metrics.upstreamOpened.inc({ by: 'pool' });
      socket.on('error', () => {}); // the status read below reports the failure
      const { key } = this.#options;
      socket.write(encodeHeader({ type: 'hello', keyId: key.id, timestampMs: Date.now(), nonce: randomBytes(NONCE_BYTES) }, key.secret));
      const status = await readStatus(socket, this.#options.connectTimeoutMs);
      if (status !== STATUS.ok) throw new Error(status === undefined ? 'no answer to hello' : `hello refused with status ${status}`);
    } catch (error) {
      socket?.destroy();
      this.#opening--;
      this.#failed(error);
      return;
    }
    this.#opening--;
    this.#failures = 0;
    if (this.#stopped) return void socket.destroy();
    this.#park(socket);
  }

  #park(socket: net.Socket): void {
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
    const entry: Idle = { socket, sinceMs: Date.now(), detach };
    socket.on('data', evict).on('end', evict).on('close', evict);
    socket.resume();
    this.#idle.push(entry);
    this.#options.metrics.poolIdle.set(this.#idle.length);
  }

  #failed(error: unknown): void {
    this.#failures++;
    this.#options.metrics.errors.inc({ kind: 'pool-open' });
    const backoffMs = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.#failures, 10));
    this.#retryAtMs = Date.now() + backoffMs;
    if (this.#failures === 1 || this.#failures % 10 === 0) this.#options.log.warn('pool connection failed', { error, failures: this.#failures, retryInMs: backoffMs });
  }
}
