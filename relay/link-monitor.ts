// The local's link health monitor: every intervalMs, one authenticated UDP probe to the
// remote from each link's own address (policy routing by source sends it over that
// link), and a verdict per link from the answers (link-health.ts). Probes rather than
// the subflows' TCP state: an idle link has no subflow traffic to judge by, the verdict
// must exist before a connection uses the link (new connections pick their link by it),
// and a probe round trip measures both directions, as a download needs.
// A link that is not up is probed PROBES_PER_INTERVAL_NOT_UP times as often: its
// `upAfter` answers in a row then come within a fraction of an interval of its return,
// which is what puts its subflows back (at one probe per interval, 3 answers took ~250
// ms of a ~800 ms recovery). The up verdict still needs every one of them.
// The same sockets carry the capacity trains (capacity-meter.ts): one per link that is up
// every capacityEveryMs, and one as a link comes up.
import dgram from 'node:dgram';
import { CapacityMeter, type CapacityDirection } from './capacity-meter.ts';
import { familyOf } from './ip.ts';
import { LinkHealth, type LinkHealthOptions, type LinkVerdict } from './link-health.ts';
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import { decodeProbe, encodeProbe } from './probe-wire.ts';
import { isTrainSized } from './train-wire.ts';

export interface MonitoredLink {
  name: string;
  /** This gateway's address on the link: probes and new connections are bound to it. */
  address: string;
}

export interface LinkMonitorOptions {
  links: readonly MonitoredLink[];
  remote: { address: string; port: number };
  key: { id: number; secret: Buffer };
  health: LinkHealthOptions;
  /** A capacity train per link that is up this often (and as it comes up); 0: none. */
  capacityEveryMs: number;
  metrics: RelayMetrics;
  log: Logger;
  /** A link's verdict changed (never called with 'unknown'). */
  onChange: (link: MonitoredLink, verdict: LinkVerdict) => void;
}

const CHECKS_PER_INTERVAL = 4;
const PROBES_PER_INTERVAL_NOT_UP = 4;

interface Watched {
  link: MonitoredLink;
  index: number;
  health: LinkHealth;
  socket: dgram.Socket;
  sinceMs: number;
}

export class LinkMonitor {
  readonly #options: LinkMonitorOptions;
  readonly #watched: Watched[];
  #key: { id: number; secret: Buffer };
  #sequence = 0;
  #ticks = 0;
  readonly #capacity: CapacityMeter;
  #timer: NodeJS.Timeout | undefined;
  #checkTimer: NodeJS.Timeout | undefined;
  #capacityTimer: NodeJS.Timeout | undefined;

  constructor(options: LinkMonitorOptions) {
    this.#options = options;
    this.#key = options.key;
    const nowMs = performance.now();
    this.#watched = options.links.map((link, index) => ({
      link,
      index,
      health: new LinkHealth(options.health, nowMs),
      socket: dgram.createSocket(familyOf(link.address) === 4 ? 'udp4' : 'udp6'),
      sinceMs: nowMs,
    }));
    this.#capacity = new CapacityMeter({
      links: options.links.map((link) => link.name),
      key: () => this.#key,
      send: (index, datagram) => this.#watched[index]?.socket.send(datagram, options.remote.port, options.remote.address, () => {}),
      metrics: options.metrics,
      log: options.log,
    });
  }

  async start(): Promise<void> {
    await Promise.all(
      this.#watched.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.socket.once('error', reject);
            w.socket.bind({ address: w.link.address, port: 0 }, () => {
              w.socket.off('error', reject);
              // A send to a dead link may fail (ENETUNREACH): that is silence, judged by the clock.
              w.socket.on('error', () => {});
              w.socket.on('message', (datagram) => (isTrainSized(datagram) ? this.#capacity.received(w.index, datagram, performance.now()) : this.#answer(w, datagram)));
              resolve();
            });
          }),
      ),
    );
    for (const w of this.#watched) this.#options.metrics.linkUp.set({ link: w.link.name }, 0);
    this.#timer = setInterval(() => this.#probe(), this.#options.health.intervalMs / PROBES_PER_INTERVAL_NOT_UP);
    // Silence is judged more often than probes go out, so "down" is said within ~CHECK of the limit.
    this.#checkTimer = setInterval(() => this.#check(), Math.max(5, Math.round(this.#options.health.intervalMs / CHECKS_PER_INTERVAL)));
    if (this.#options.capacityEveryMs > 0) this.#capacityTimer = setInterval(() => this.#measureCapacity(), this.#options.capacityEveryMs);
    this.#probe();
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#checkTimer);
    clearInterval(this.#capacityTimer);
    for (const w of this.#watched) w.socket.close();
  }

  rekey(key: { id: number; secret: Buffer }): void {
    this.#key = key;
  }

  verdict(name: string): LinkVerdict {
    return this.#find(name)?.health.verdict ?? 'unknown';
  }

  srttMs(name: string): number | undefined {
    return this.#find(name)?.health.srttMs;
  }

  /** What a link can carry in one direction, in bytes per ms, from its capacity trains; undefined before its first. */
  capacityBytesPerMs(name: string, direction: CapacityDirection): number | undefined {
    const w = this.#find(name);
    return w && this.#capacity.bytesPerMs(w.index, direction);
  }

  #find(name: string): Watched | undefined {
    return this.#watched.find((w) => w.link.name === name);
  }

  /** Every link that is up once per interval; the others at each tick. */
  #probe(): void {
    const nowMs = performance.now();
    const everyLink = this.#ticks++ % PROBES_PER_INTERVAL_NOT_UP === 0;
    const sequence = this.#sequence++;
    for (const w of this.#watched) {
      if (!everyLink && w.health.verdict === 'up') continue;
      const probe = encodeProbe({ kind: 'request', keyId: this.#key.id, link: w.index, sequence, sentAtMs: performance.timeOrigin + nowMs }, this.#key.secret);
      w.socket.send(probe, this.#options.remote.port, this.#options.remote.address, () => {});
    }
  }

  /** A capacity train up every link that is up. */
  #measureCapacity(): void {
    const nowMs = performance.now();
    for (const w of this.#watched) if (w.health.verdict === 'up') this.#capacity.measure(w.index, nowMs);
  }

  #check(): void {
    const nowMs = performance.now();
    this.#capacity.expire(nowMs);
    for (const w of this.#watched) {
      const changed = w.health.tick(nowMs);
      if (changed) this.#changed(w, changed, nowMs);
    }
  }

  #answer(w: Watched, datagram: Buffer): void {
    const key = this.#key;
    const probe = decodeProbe(datagram, (id) => (id === key.id ? key.secret : undefined));
    if (typeof probe === 'string' || probe.kind !== 'answer' || probe.link !== w.index) return;
    const nowMs = performance.now();
    const rttMs = Math.max(0, performance.timeOrigin + nowMs - probe.sentAtMs);
    this.#options.metrics.probeRtt.observe({ link: w.link.name }, rttMs / 1000);
    const changed = w.health.answered(nowMs, rttMs);
    if (changed) this.#changed(w, changed, nowMs);
  }

  #changed(w: Watched, verdict: LinkVerdict, nowMs: number): void {
    const { metrics, log } = this.#options;
    metrics.linkUp.set({ link: w.link.name }, verdict === 'up' ? 1 : 0);
    metrics.linkTransitions.inc({ link: w.link.name, to: verdict });
    log.info(`link ${verdict}`, { link: w.link.name, address: w.link.address, afterMs: Math.round(nowMs - w.sinceMs), srttMs: w.health.srttMs && Math.round(w.health.srttMs * 10) / 10 });
    w.sinceMs = nowMs;
    // A link back (or up for the first time) is measured at once: it may have come back slower.
    if (verdict === 'up' && this.#options.capacityEveryMs > 0) this.#capacity.measure(w.index, nowMs);
    this.#options.onChange(w.link, verdict);
  }
}
