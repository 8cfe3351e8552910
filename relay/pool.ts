// The warm pool: MPTCP connections to the remote opened ahead of need, each with a
// hello exchanged so the kernel has joined the other subflows, so that a client
// connection pays no WAN handshake at all. Sized for the recent rate and the recent
// bursts (pool-size.ts). A connection idle too long is replaced before it is closed, so
// a refresh never leaves the pool short. The kernel's scheduler sends an idle
// connection's first bytes, both ways, on its first subflow, so the first subflow's link
// matters: a take picks the link where a connection costs least, its probe round trip x
// (1 + the pool's connections in use on it), so that one connection alone rides the
// fastest link and a page load's six spread over both (one link alone would carry the
// whole page); a refill replaces a taken connection on its link, and otherwise fills the
// link that holds fewest (so each holds some, for failover). Each pooled connection
// keeps the challenge of its hello's answer, which its connect header must carry.
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import type { LocalConfig } from './config.ts';
import type { KeepaliveRefused } from './keepalive.ts';
import type { MonitoredLink } from './link-monitor.ts';
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import { PoolDemand } from './pool-size.ts';
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
  /** The link of its first subflow (undefined: routing chose). */
  link: string | undefined;
}

/** A link that is up, with its smoothed probe round trip. */
export interface UpLink {
  link: MonitoredLink;
  srttMs: number;
}

/** A fresh connection to the remote, and the link of its first subflow (undefined: routing chose). */
export interface OpenedUpstream {
  socket: net.Socket;
  link: MonitoredLink | undefined;
}

interface Idle extends PooledUpstream {
  sinceMs: number;
  /** Removes the pool's listeners (which evict the connection if the remote closes it). */
  detach: () => void;
}

export interface PoolOptions {
  target: UpstreamTarget;
  /** Opens a fresh connection over `link` (none: a link that is up, or racing them); default: wherever routing says. */
  open?: (link: MonitoredLink | undefined) => Promise<OpenedUpstream>;
  /** The links that are up now; default: none (routing chooses). */
  links?: () => readonly UpLink[];
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
  readonly #demand: PoolDemand;
  /** Refills under way, by the link they were started on. */
  readonly #openingOn = new Map<string | undefined, number>();
  /** Connections taken and still open, by the link of their first subflow. */
  readonly #inUse = new Map<string, number>();
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
    this.#demand = new PoolDemand(options.pool);
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

  /**
   * A warm connection (paused, hello done), or undefined on a miss; none started on
   * `avoid` (a link that just failed a request). Triggers a refill either way.
   */
  take(avoid?: string): PooledUpstream | undefined {
    this.#demand.record(Date.now());
    const entry = this.#pick(avoid);
    if (entry) {
      entry.detach();
      entry.socket.pause();
      this.#countInUse(entry);
    }
    this.#options.metrics.poolIdle.set(this.#idle.length);
    (entry ? this.#options.metrics.poolHits : this.#options.metrics.poolMisses).inc();
    this.#maintain(entry?.link);
    return entry && { socket: entry.socket, challenge: entry.challenge, link: entry.link };
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /** How many warm connections the recent rate and bursts call for. */
  target(nowMs = Date.now()): number {
    return this.#demand.target(nowMs);
  }

  /** Idle connections by the link of their first subflow (`route` where routing chose). */
  idleByLink(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const entry of this.#idle) counts[entry.link ?? 'route'] = (counts[entry.link ?? 'route'] ?? 0) + 1;
    return counts;
  }

  /** On the up link where it costs least (round trip x (1 + in use there)), else any but on `avoid`; newest first (the freshest NAT and subflow state). */
  #pick(avoid: string | undefined): Idle | undefined {
    const cost = ({ link, srttMs }: UpLink) => srttMs * (1 + (this.#inUse.get(link.name) ?? 0));
    const idleOn = (this.#options.links?.() ?? []).filter(({ link }) => link.name !== avoid && this.#idle.some((entry) => entry.link === link.name));
    const best = idleOn.sort((x, y) => cost(x) - cost(y))[0]?.link.name;
    const wanted = (entry: Idle) => (best !== undefined ? entry.link === best : avoid === undefined || entry.link !== avoid);
    for (let at = this.#idle.length - 1; at >= 0; at--) if (wanted(this.#idle[at]!)) return this.#idle.splice(at, 1)[0];
    return undefined;
  }

  #countInUse(entry: Idle): void {
    const { link } = entry;
    if (link === undefined) return;
    this.#inUse.set(link, (this.#inUse.get(link) ?? 0) + 1);
    entry.socket.once('close', () => this.#inUse.set(link, (this.#inUse.get(link) ?? 1) - 1));
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

  /** Trims to the target and refills up to it; the first refill goes on `replacing`'s link (a taken connection's). */
  #maintain(replacing?: string): void {
    if (this.#stopped) return;
    const nowMs = Date.now();
    const target = this.target(nowMs);
    this.#trim(target);
    this.#options.metrics.poolIdle.set(this.#idle.length);
    if (nowMs < this.#retryAtMs) return;
    let link = replacing;
    for (let n = this.#fresh(nowMs) + this.#opening; n < target; n++) {
      void this.#warmOne(link);
      link = undefined;
    }
  }

  /** Idle connections not yet due for replacement (idle less than idleTimeoutMs). */
  #fresh(nowMs: number): number {
    return this.#idle.filter((entry) => entry.sinceMs > nowMs - this.#options.pool.idleTimeoutMs).length;
  }

  /**
   * Oldest first, connections beyond the target are closed (FIN: the remote closes
   * quietly). One idle too long stays usable until its replacement is parked, which
   * puts it beyond the target.
   */
  #trim(target: number): void {
    while (this.#idle.length > target) {
      const entry = this.#idle.shift();
      if (entry) this.#close(entry);
    }
  }

  #close(entry: Idle): void {
    entry.detach();
    entry.socket.end();
  }

  /** `replacing`'s link while it is up; else the up link that holds fewest (idle or opening), the faster on a tie. */
  #refillLink(replacing: string | undefined): MonitoredLink | undefined {
    const up = [...(this.#options.links?.() ?? [])].sort((x, y) => x.srttMs - y.srttMs).map(({ link }) => link);
    const same = up.find((link) => link.name === replacing);
    if (same) return same;
    const held = (link: MonitoredLink) => (this.#openingOn.get(link.name) ?? 0) + this.#idle.filter((entry) => entry.link === link.name).length;
    return up.reduce<MonitoredLink | undefined>((fewest, link) => (fewest === undefined || held(link) < held(fewest) ? link : fewest), undefined);
  }

  async #warmOne(replacing: string | undefined): Promise<void> {
    this.#opening++;
    const wanted = this.#refillLink(replacing);
    this.#openingOn.set(wanted?.name, (this.#openingOn.get(wanted?.name) ?? 0) + 1);
    const opened = () => {
      this.#opening--;
      this.#openingOn.set(wanted?.name, (this.#openingOn.get(wanted?.name) ?? 1) - 1);
    };
    const startedAtMs = Date.now();
    let socket: net.Socket | undefined;
    let link: MonitoredLink | undefined;
    let challenge: Buffer;
    try {
      const open = this.#options.open ?? (async () => ({ socket: openUpstream(this.#options.target, this.#options.keepaliveRefused), link: undefined }));
      ({ socket, link } = await open(wanted));
      this.#options.metrics.upstreamOpened.inc({ by: 'pool' });
      socket.on('error', () => {}); // the answer read below reports the failure
      challenge = await this.#hello(socket);
    } catch (error) {
      socket?.destroy();
      opened();
      this.#failed(error, startedAtMs);
      return;
    }
    opened();
    this.#failedRounds = 0;
    if (this.#stopped) return void socket.destroy();
    this.#park(socket, challenge, link?.name);
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

  #park(socket: net.Socket, challenge: Buffer, link: string | undefined): void {
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
    const entry: Idle = { socket, challenge, sinceMs: Date.now(), link, detach };
    socket.on('data', evict).on('end', evict).on('close', evict);
    socket.resume();
    this.#idle.push(entry);
    this.#trim(this.target()); // a replacement parked: the connection it replaces goes
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
