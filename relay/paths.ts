// The local's path manager for its own MPTCP connections, when the gateway's namespace
// uses the kernel's userspace path manager (paths.manager: userspace): the kernel then
// opens no subflow by itself, and this module gives each connection its subflows one by
// one (path-policy.ts), as mptcpd would: a backup subflow on every other link that is up
// as soon as the connection is established, so that a dead link costs no handshake; the
// other links sending only while the connection is bulk (bulk.ts), and only where their
// last trial says they add enough (what each link carried per direction is kept); a dead link's
// subflows removed with REMOVE_ADDR, so that the remote moves what it had in flight there
// at once; and a link that comes back joined again.
import type net from 'node:net';
import { BulkDetector, type BulkEvent, type JoinOutlook } from './bulk.ts';
import type { LocalConfig } from './config.ts';
import type { Links } from './links.ts';
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import type { UserspacePm } from './mptcp-pm.ts';
import { wantedSubflows, type SubflowWant } from './path-policy.ts';
import { unmappedIpv4 } from './ip.ts';
import { fdOf, mptcpSequences, mptcpSubflows, mptcpToken, type Subflow } from './sockets.ts';
import { readSysctl as readProcSys } from './sysctl.ts';

export interface PathManagerOptions {
  config: Pick<LocalConfig, 'paths' | 'remote' | 'failover'>;
  links: Links;
  pm: UserspacePm;
  metrics: RelayMetrics;
  log: Logger;
}

type Direction = 'up' | 'down';

interface SubflowCounters {
  link: string;
  acked: bigint;
  received: bigint;
}

/** One reading of a connection's subflows, by local address and port, with their links. */
type Counters = Map<string, SubflowCounters>;

/** A connection's subflows as read once per tick: what every step of the tick works from. */
interface Reading {
  subflows: Subflow[];
  counters: Counters;
}

/** A connection's subflow byte counters at the start or the middle of a trial. */
interface TrialMark {
  atMs: number;
  counters: Counters;
}

interface Tracked {
  socket: net.Socket;
  token: number;
  /** The link of the first subflow (local address id 0). */
  home: string | undefined;
  homePort: number;
  detector: BulkDetector;
  sndUna: bigint;
  rcvNxt: bigint;
  resentBytes: bigint;
  /** The backup flag each link's subflows were last given (a first subflow starts sending). */
  backup: Map<string, boolean>;
  /** Which way the last sample moved more bytes. */
  direction: Direction;
  /** Counters at the trial's start (what the joining links carried so far)... */
  trialStart: TrialMark | undefined;
  /** ...and at its middle (what they carry once open, the figure kept). */
  mark: TrialMark | undefined;
  /** Each subflow's byte counters at the last sample, by its local address and port. */
  wire: Counters;
}

/** Subflows are checked against what the policy wants this often besides on every change (to rejoin a link whose join failed). */
const RECONCILE_EVERY_MS = 1000;

export class PathManager {
  readonly #options: PathManagerOptions;
  readonly #tracked = new Set<Tracked>();
  /** What each link carried in its last trial, by link and direction ('a/up'), in bytes per ms. */
  readonly #carried = new Map<string, { bytesPerMs: number; atMs: number }>();
  #timer: NodeJS.Timeout | undefined;
  #lastReconcileMs = 0;

  constructor(options: PathManagerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#timer = setInterval(() => this.#tick(), this.#options.config.paths.sampleMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#tracked.clear();
  }

  /** Takes a connection to the remote in hand once it is connected; `home` is the link of its first subflow. */
  adopt(socket: net.Socket, home: string | undefined): void {
    const track = () => {
      try {
        this.#track(socket, home);
      } catch (error) {
        this.#options.log.debug('path manager could not take a connection in hand', { error });
      }
    };
    if (socket.connecting) socket.once('connect', track);
    else track();
  }

  /**
   * A link's verdict changed: every connection's subflows follow at once, and a trial under
   * way starts again (one that took in an outage would judge the outage, not the link).
   */
  linksChanged(): void {
    const nowMs = performance.now();
    for (const tracked of this.#tracked) {
      if (tracked.socket.destroyed) continue;
      try {
        const reading = this.#read(tracked);
        if (tracked.detector.restartTrial(nowMs, this.#joinRttMs(tracked))) {
          tracked.trialStart = { atMs: nowMs, counters: reading.counters };
          tracked.mark = undefined;
        }
        this.#reconcile(tracked, reading.subflows);
      } catch (error) {
        this.#options.log.debug('path manager could not read a connection', { token: tracked.token, error });
      }
    }
  }

  #track(socket: net.Socket, home: string | undefined): void {
    if (socket.destroyed) return;
    const fd = fdOf(socket);
    const token = mptcpToken(fd);
    const sequences = mptcpSequences(fd);
    if (token === undefined || sequences === undefined) return; // fell back to TCP: one path, nothing to manage
    const tracked: Tracked = {
      socket,
      token,
      home,
      homePort: socket.localPort ?? 0,
      detector: new BulkDetector(this.#options.config.paths, performance.now()),
      sndUna: sequences.sndUna,
      rcvNxt: sequences.rcvNxt,
      resentBytes: sequences.resentBytes,
      backup: new Map(home === undefined ? [] : [[home, false]]),
      direction: 'down',
      trialStart: undefined,
      mark: undefined,
      wire: new Map(),
    };
    this.#tracked.add(tracked);
    socket.once('close', () => this.#tracked.delete(tracked));
    this.#reconcile(tracked, this.#read(tracked).subflows);
  }

  #tick(): void {
    const nowMs = performance.now();
    const all = nowMs - this.#lastReconcileMs >= RECONCILE_EVERY_MS;
    if (all) this.#lastReconcileMs = nowMs;
    for (const tracked of this.#tracked) {
      if (tracked.socket.destroyed) continue;
      try {
        const reading = this.#read(tracked);
        const event = this.#sample(tracked, nowMs, reading.counters);
        const carried = this.#followTrial(tracked, event, nowMs, reading.counters);
        if (event) this.#report(tracked, event, carried);
        if (event || all) this.#reconcile(tracked, reading.subflows);
      } catch (error) {
        // A connection closing under a read: it leaves the set on its close event.
        this.#options.log.debug('path manager could not read a connection', { token: tracked.token, error });
      }
    }
  }

  /** Feeds the connection's goodput since the last sample to its detector. */
  #sample(tracked: Tracked, nowMs: number, counters: Counters): BulkEvent | undefined {
    const sequences = mptcpSequences(fdOf(tracked.socket));
    if (!sequences) return undefined;
    const sent = Number(BigInt.asUintN(64, sequences.sndUna - tracked.sndUna));
    const received = Number(BigInt.asUintN(64, sequences.rcvNxt - tracked.rcvNxt));
    if (sent !== received) tracked.direction = sent > received ? 'up' : 'down';
    // What the remote sent twice is not known here. It is rare outside a failover, when a trial starts again anyway: MPTcpExtDuplicateData at gw-local counted at most 20 segments per lossy-wisp throughput workload.
    const resentBytes = tracked.direction === 'up' ? Number(sequences.resentBytes - tracked.resentBytes) : 0;
    tracked.sndUna = sequences.sndUna;
    tracked.rcvNxt = sequences.rcvNxt;
    tracked.resentBytes = sequences.resentBytes;
    const moved = movedByLink(tracked.wire, counters);
    tracked.wire = counters;
    const wire = [...moved.values()].reduce((sum, link) => ({ acked: sum.acked + link.acked, received: sum.received + link.received }), { acked: 0n, received: 0n });
    const wireBytes = Number(wire.acked > wire.received ? wire.acked : wire.received);
    const joinedBytes = [...this.#carriedByLink(tracked, moved).values()].reduce((total, bytes) => total + bytes, 0);
    return tracked.detector.sample(nowMs, { goodputBytes: Math.max(sent, received), wireBytes, resentBytes, joinedBytes }, this.#outlook(tracked, nowMs));
  }

  /**
   * The links that would join: the round trip of the slowest (a trial waits for it) and
   * what they can add in this direction: what each carried in its last trial (a figure
   * younger than rateMemoryMs), else its capacity from the monitor's trains (a link never
   * tried carries at most that); unknown if any link has neither.
   */
  #outlook(tracked: Tracked, nowMs: number): JoinOutlook {
    let expected: number | undefined = 0;
    for (const { link } of this.#options.links.up()) {
      if (link.name === tracked.home) continue;
      const carried = this.#carried.get(`${link.name}/${tracked.direction}`);
      const fresh = carried && nowMs - carried.atMs < this.#options.config.paths.rateMemoryMs ? carried.bytesPerMs : undefined;
      const bytesPerMs = fresh ?? this.#options.links.capacityBytesPerMs(link.name, tracked.direction);
      expected = expected !== undefined && bytesPerMs !== undefined ? expected + bytesPerMs : undefined;
    }
    return { rttMs: this.#joinRttMs(tracked), expectedBytesPerMs: expected };
  }

  /** The round trip of the slowest up link other than the connection's home: the one a trial waits for. */
  #joinRttMs(tracked: Tracked): number {
    let slowestMs = 0;
    for (const { link, srttMs } of this.#options.links.up()) if (link.name !== tracked.home && Number.isFinite(srttMs)) slowestMs = Math.max(slowestMs, srttMs);
    return slowestMs;
  }

  /** Of what each link moved (movedByLink), the bytes in the connection's direction on links other than its home. */
  #carriedByLink(tracked: Tracked, moved: Map<string, { acked: bigint; received: bigint }>): Map<string, number> {
    const carried = new Map<string, number>();
    for (const [link, linkMoved] of moved) if (link !== tracked.home) carried.set(link, Number(tracked.direction === 'up' ? linkMoved.acked : linkMoved.received));
    return carried;
  }

  /**
   * Measures what each joined link carries over a trial's second half (from its start if
   * it was given up on its first sample past half-way), and keeps it when the trial ends; returns those figures
   * (bytes per second, by link) then.
   */
  #followTrial(tracked: Tracked, event: BulkEvent | undefined, nowMs: number, counters: Counters): Record<string, number> | undefined {
    if (event === 'trial') {
      tracked.trialStart = { atMs: nowMs, counters };
      tracked.mark = undefined;
    }
    const trial = tracked.detector.trial;
    if (trial && !tracked.mark && nowMs >= trial.startMs + trial.lengthMs / 2) tracked.mark = { atMs: nowMs, counters };
    if (event === 'idle') tracked.trialStart = tracked.mark = undefined;
    if (event !== 'kept' && event !== 'failed') return undefined;
    // Given up on its first sample past half-way, the trial has no middle mark: what the links carried from its start is kept.
    const from = tracked.mark ?? tracked.trialStart;
    tracked.mark = undefined;
    tracked.trialStart = undefined;
    if (!from || nowMs <= from.atMs) return undefined;
    const carried: Record<string, number> = {};
    for (const [link, linkBytes] of this.#carriedByLink(tracked, movedByLink(from.counters, counters))) {
      const bytesPerMs = linkBytes / (nowMs - from.atMs);
      this.#carried.set(`${link}/${tracked.direction}`, { bytesPerMs, atMs: nowMs });
      this.#options.metrics.trialCarried.set({ link, direction: tracked.direction }, bytesPerMs * 1000);
      carried[link] = Math.round(bytesPerMs * 1000);
    }
    return carried;
  }

  /** The connection's subflows, and each one's byte counters and link by its local address and port: one read for a whole tick. */
  #read(tracked: Tracked): Reading {
    const subflows = mptcpSubflows(fdOf(tracked.socket));
    const counters: Counters = new Map();
    for (const subflow of subflows) {
      const link = this.#options.links.list.find((candidate) => sameAddress(subflow.local.address, candidate.address));
      if (link) counters.set(`${subflow.local.address}:${subflow.local.port}`, { link: link.name, acked: subflow.bytesAcked, received: subflow.bytesReceived });
    }
    return { subflows, counters };
  }

  #report(tracked: Tracked, event: BulkEvent, carried: Record<string, number> | undefined): void {
    this.#options.metrics.bulkTrials.inc({ event });
    const rates = tracked.detector.lastTrialRates;
    const judged = event === 'kept' || event === 'failed' || event === 'skipped';
    // A trial's verdict is worth an operator's eye (one per bulk connection); its start and end are not.
    this.#options.log[judged ? 'info' : 'debug']('connection path policy', {
      token: tracked.token,
      event,
      home: tracked.home,
      direction: tracked.direction,
      ...(judged ? { beforeBytesPerSecond: Math.round(rates.before * 1000) } : {}),
      ...(event === 'kept' || event === 'failed' ? { afterBytesPerSecond: Math.round(rates.after * 1000) } : {}),
      ...(carried ? { carriedBytesPerSecond: carried } : {}),
    });
  }

  /** Makes the connection's subflows (as just read) what the policy wants, link by link. */
  #reconcile(tracked: Tracked, subflows: Subflow[]): void {
    const { links } = this.#options;
    const wants = wantedSubflows(links.views(), { home: tracked.home, bulk: tracked.detector.bulk, deadLink: this.#options.config.failover.action });
    links.list.forEach((link, index) => {
      const want = wants[index] ?? 'keep';
      const on = subflows.filter((subflow) => sameAddress(subflow.local.address, link.address));
      this.#apply(tracked, link.name, link.address, index + 1, want, on);
    });
  }

  /** One link of one connection; `id` is the local address id the link's joined subflows carry. */
  #apply(tracked: Tracked, name: string, address: string, id: number, want: SubflowWant, on: Subflow[]): void {
    const { pm } = this.#options;
    if (want === 'keep') return;
    if (want === 'absent') {
      if (on.length === 0) return;
      const initial = on.some((subflow) => name === tracked.home && subflow.local.port === tracked.homePort);
      this.#change(name, 'remove', () => pm.removeAddress(tracked.token, initial ? 0 : id));
      for (const subflow of on) this.#change(name, 'destroy', () => pm.destroySubflow(tracked.token, subflow.local, subflow.remote), ['ESRCH']);
      tracked.backup.delete(name);
      return;
    }
    const backup = want === 'backup';
    if (on.length === 0) {
      const { remote } = this.#options.config;
      // Not yet fully established (the remote's first data ack is pending): the next tick tries again.
      if (this.#change(name, backup ? 'join-backup' : 'join', () => pm.createSubflow(tracked.token, { address, id, backup }, remote), ['ENOTCONN'])) tracked.backup.set(name, backup);
      return;
    }
    if (tracked.backup.get(name) === backup) return;
    let changed = true;
    for (const subflow of on) changed = this.#change(name, backup ? 'backup' : 'active', () => pm.setBackup(tracked.token, subflow.local, subflow.remote, backup)) && changed;
    if (changed) tracked.backup.set(name, backup);
  }

  /** Runs one netlink command, counts it; true when it succeeded. Errors in `quiet` are expected and not counted as failures. */
  #change(link: string, change: string, command: () => void, quiet: readonly string[] = []): boolean {
    try {
      command();
      this.#options.metrics.pathChanges.inc({ link, change, result: 'ok' });
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unknown';
      if (quiet.includes(code)) return false;
      this.#options.metrics.pathChanges.inc({ link, change, result: 'failed' });
      this.#options.log.debug('path change refused by the kernel', { link, change, error });
      return false;
    }
  }
}

/**
 * The path manager this namespace gives new connections (the kernel applies
 * net.mptcp.path_manager to each as it is created): its name, `absent` on a kernel
 * without the setting (before 6.15), or `unreadable` when /proc/sys is hidden (the shipped
 * unit's ProcSubset=pid).
 */
export function selectedPathManager(readSysctl: (name: string) => string = readProcSys): string {
  try {
    return readSysctl('net/mptcp/path_manager');
  } catch {
    try {
      readSysctl('net/mptcp/enabled');
      return 'absent';
    } catch {
      return 'unreadable';
    }
  }
}

/** Why connections under `selected` would not take the relay's commands; undefined when they will (or it cannot be told). */
export function userspacePmProblem(selected: string): string | undefined {
  if (selected === 'userspace' || selected === 'unreadable') return undefined;
  if (selected === 'absent') return 'this kernel has no net.mptcp.path_manager (6.15 or later is needed)';
  return `net.mptcp.path_manager is ${selected}: run \`sysctl -w net.mptcp.path_manager=userspace\` (mprelay doctor --path-manager userspace --fix)`;
}

function sameAddress(a: string, b: string): boolean {
  return unmappedIpv4(a) === unmappedIpv4(b);
}

/** What each link's subflows moved between two readings, over the subflows in both (one that came or went meanwhile gives no difference). */
function movedByLink(then: Counters, now: Counters): Map<string, { acked: bigint; received: bigint }> {
  const moved = new Map<string, { acked: bigint; received: bigint }>();
  for (const [key, counter] of now) {
    const before = then.get(key);
    if (!before) continue;
    const sum = moved.get(counter.link) ?? { acked: 0n, received: 0n };
    moved.set(counter.link, { acked: sum.acked + counter.acked - before.acked, received: sum.received + counter.received - before.received });
  }
  return moved;
}
