// The local's links: the health monitor's verdicts, what they change in the kernel (a
// dead link's MPTCP endpoint is taken off while another link is up, and put back when it
// answers again), and which link a new connection should start on. With every link down
// nothing is taken off: there is nowhere to move to, and a deleted endpoint would close
// the last subflows.
import type { LocalConfig } from './config.ts';
import { applyEndpoint, endpointCommand, listEndpoints, type Endpoint } from './endpoints.ts';
import type { CapacityDirection } from './capacity-meter.ts';
import { LinkMonitor, type MonitoredLink } from './link-monitor.ts';
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import type { LinkView } from './path-policy.ts';

export interface LinksOptions {
  config: Pick<LocalConfig, 'links' | 'probes' | 'failover' | 'remote' | 'key' | 'paths'>;
  metrics: RelayMetrics;
  log: Logger;
  /** The kernel's endpoints (default: `ip mptcp endpoint show`); tests pass their own. */
  endpoints?: () => Promise<Endpoint[]>;
  apply?: typeof applyEndpoint;
  /** Called after a verdict changed (the relay's own path manager follows it per connection). */
  onChange?: () => void;
}

export class Links {
  readonly #options: LinksOptions;
  readonly #monitor: LinkMonitor;
  readonly #endpoints = new Map<string, Endpoint>();
  /** Links whose endpoint is off now. */
  readonly #off = new Set<string>();
  #queue: Promise<void> = Promise.resolve();

  constructor(options: LinksOptions) {
    this.#options = options;
    const { config } = options;
    this.#monitor = new LinkMonitor({
      links: config.links,
      remote: config.remote,
      key: config.key,
      health: config.probes,
      capacityEveryMs: config.probes.capacityEveryMs,
      metrics: options.metrics,
      log: options.log,
      onChange: () => {
        this.#reconcile();
        options.onChange?.();
      },
    });
  }

  get list(): readonly MonitoredLink[] {
    return this.#options.config.links;
  }

  async start(): Promise<void> {
    const { config, log } = this.#options;
    // With the userspace path manager the kernel's endpoints do nothing: paths.ts moves each connection itself.
    if (config.failover.action !== 'none' && config.paths.manager === 'kernel') {
      const endpoints = await (this.#options.endpoints ?? listEndpoints)();
      for (const link of config.links) {
        const endpoint = endpoints.find((e) => e.address === link.address);
        if (endpoint) this.#endpoints.set(link.name, endpoint);
        else log.warn('link has no MPTCP endpoint: traffic cannot be moved off it (run `mprelay doctor --fix`)', { link: link.name, address: link.address });
      }
    }
    await this.#monitor.start();
  }

  /** Puts back every endpoint it took off, then stops probing. */
  async stop(): Promise<void> {
    this.#monitor.stop();
    await this.#queue;
    for (const name of [...this.#off]) await this.#switch(name, true);
  }

  rekey(key: LocalConfig['key']): void {
    this.#monitor.rekey(key);
  }

  /**
   * The link a pool miss's race starts on (race.ts): the first that is up (the order of
   * preference) and not `avoid` (a link that just failed a request); undefined when none
   * is. The pool chooses its own (pool.ts).
   */
  pick(avoid?: string): MonitoredLink | undefined {
    return this.list.find((link) => link.name !== avoid && this.#monitor.verdict(link.name) === 'up');
  }

  /** The smoothed probe round trip of a link, if it has answered any. */
  srttMs(name: string): number | undefined {
    return this.#monitor.srttMs(name);
  }

  /** What a link can carry in one direction, in bytes per ms, from the monitor's capacity trains; undefined before its first. */
  capacityBytesPerMs(name: string, direction: CapacityDirection): number | undefined {
    return this.#monitor.capacityBytesPerMs(name, direction);
  }

  /** The links that are up, with their smoothed probe round trips (a loaded link's is long). */
  up(): Array<{ link: MonitoredLink; srttMs: number }> {
    return this.list.filter((link) => this.#monitor.verdict(link.name) === 'up').map((link) => ({ link, srttMs: this.#monitor.srttMs(link.name) ?? Infinity }));
  }

  /** Every link with its verdict and smoothed probe round trip, in order of preference. */
  views(): LinkView[] {
    return this.list.map((link) => ({ name: link.name, verdict: this.#monitor.verdict(link.name), srttMs: this.#monitor.srttMs(link.name) }));
  }

  /** How long a racing connection waits for a SYN-ACK over `link` before also trying the next one. */
  raceDelayMs(link: MonitoredLink): number {
    const { raceRttFactor, raceMinMs } = this.#options.config.failover;
    return Math.max(raceMinMs, raceRttFactor * (this.#monitor.srttMs(link.name) ?? 0));
  }

  #reconcile(): void {
    this.#queue = this.#queue.then(async () => {
      const up = (name: string) => this.#monitor.verdict(name) === 'up';
      for (const link of this.list) {
        if (!this.#endpoints.has(link.name)) continue;
        const wantOff = this.#monitor.verdict(link.name) === 'down' && this.list.some((other) => other.name !== link.name && up(other.name));
        if (wantOff !== this.#off.has(link.name)) await this.#switch(link.name, !wantOff);
      }
    });
  }

  async #switch(name: string, up: boolean): Promise<void> {
    const endpoint = this.#endpoints.get(name);
    const { action } = this.#options.config.failover;
    if (!endpoint || action === 'none') return;
    const startedMs = performance.now();
    try {
      await (this.#options.apply ?? applyEndpoint)(action, endpoint, up);
      if (up) this.#off.delete(name);
      else this.#off.add(name);
      this.#options.metrics.linkSwitches.inc({ link: name, action: up ? `${action}-undo` : action, result: 'ok' });
      this.#options.log.info(up ? 'link endpoint restored' : 'link endpoint taken off', { link: name, command: `ip ${endpointCommand(action, endpoint, up).join(' ')}`, tookMs: Math.round(performance.now() - startedMs) });
    } catch (error) {
      this.#options.metrics.linkSwitches.inc({ link: name, action: up ? `${action}-undo` : action, result: 'failed' });
      this.#options.log.error('could not change the link endpoint', { link: name, up, error });
    }
  }
}
