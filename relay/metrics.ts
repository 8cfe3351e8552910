// Prometheus metrics for both sides, on prom-client, with their own registry so that
// two relays in one process (tests) do not collide. Served as text on an HTTP port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Side = 'local' | 'remote';

export class RelayMetrics {
  readonly registry = new Registry();
  /** Finished client connections by outcome ('ok' or the status/error that ended them). */
  readonly connections: Counter<'result'>;
  readonly activeConnections: Gauge;
  readonly poolHits: Counter;
  readonly poolMisses: Counter;
  readonly poolIdle: Gauge;
  /** MPTCP connections the local opened to the remote: by the pool ahead of need, or for a pool miss. */
  readonly upstreamOpened: Counter<'by'>;
  /** Requests sent again because their pooled connection was dead, by that connection's link. */
  readonly replays: Counter<'link'>;
  /** Relayed payload bytes: upstream is client -> server, downstream server -> client. */
  readonly bytes: Counter<'direction'>;
  readonly errors: Counter<'kind'>;
  readonly subflows: Histogram;
  /** Local: the monitor's verdict per link (1 up, 0 down or not yet known). */
  readonly linkUp: Gauge<'link'>;
  readonly linkTransitions: Counter<'link' | 'to'>;
  readonly probeRtt: Histogram<'link'>;
  /** Local: what the monitor did to the kernel's endpoints on a verdict, by action and outcome. */
  readonly linkSwitches: Counter<'link' | 'action' | 'result'>;
  /** Local, userspace path manager: subflow commands by link, change (join, join-backup, active, backup, remove, destroy) and result. */
  readonly pathChanges: Counter<'link' | 'change' | 'result'>;
  /** Local, userspace path manager: bulk tests of connections, by event (trial, skipped, kept, failed, idle). */
  readonly bulkTrials: Counter<'event'>;
  /** Local, userspace path manager: what each joined link carried in the last trial, by link and direction. */
  readonly trialCarried: Gauge<'link' | 'direction'>;
  /** Local: each link's capacity by direction, the median of its last capacity trains (capacity-meter.ts). */
  readonly linkCapacity: Gauge<'link' | 'direction'>;
  /** Local: fresh connections by the link of their first subflow (`race` when both were tried). */
  readonly freshLink: Counter<'link'>;
  /** Remote: probe requests, answered or why not. */
  readonly probes: Counter<'result'>;
  /** Remote: paths (source addresses of probes) heard from recently. */
  readonly pathsUp: Gauge;
  /** Local: DNS queries the forwarder took, by transport (udp, tcp) and result (ok, truncated, servfail, refused, dropped). */
  readonly dnsQueries: Counter<'transport' | 'result'>;
  /** Local: from a query's arrival until its answer was sent, by transport and result. */
  readonly dnsSeconds: Histogram<'transport' | 'result'>;
  /** Bytes taken in and not yet sent on over all relayed connections (see unsent.ts), read at each scrape. */
  readonly unsentBytes: Gauge;
  #unsentSource: () => number = () => 0;

  constructor(side: Side, withProcessMetrics = true) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ side });
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'mprelay_' });
    this.connections = new Counter({ name: 'mprelay_connections_total', help: 'Client connections handled, by result', labelNames: ['result'], registers });
    this.activeConnections = new Gauge({ name: 'mprelay_active_connections', help: 'Connections open now', registers });
    this.poolHits = new Counter({ name: 'mprelay_pool_hits_total', help: 'Client connections served by a warm pooled MPTCP connection', registers });
    this.poolMisses = new Counter({ name: 'mprelay_pool_misses_total', help: 'Client connections that had to open a fresh MPTCP connection', registers });
    this.poolIdle = new Gauge({ name: 'mprelay_pool_idle', help: 'Warm MPTCP connections waiting in the pool', registers });
    this.upstreamOpened = new Counter({ name: 'mprelay_upstream_opened_total', help: 'MPTCP connections opened to the remote, by the pool or for a miss', labelNames: ['by'], registers });
    this.replays = new Counter({ name: 'mprelay_request_replays_total', help: 'Requests sent again on another connection because their pooled connection gave no answer and acknowledged nothing, by its link', labelNames: ['link'], registers });
    this.bytes = new Counter({ name: 'mprelay_bytes_total', help: 'Relayed payload bytes', labelNames: ['direction'], registers });
    this.errors = new Counter({ name: 'mprelay_errors_total', help: 'Errors and rejections, by kind', labelNames: ['kind'], registers });
    this.subflows = new Histogram({
      name: 'mprelay_subflows_per_connection',
      help: 'MPTCP subflows of each relayed connection, sampled when its upstream direction ends',
      buckets: [1, 2, 3, 4, 8],
      registers,
    });
    this.linkUp = new Gauge({ name: 'mprelay_link_up', help: 'Link health monitor verdict: 1 up, 0 down or unknown', labelNames: ['link'], registers });
    this.linkTransitions = new Counter({ name: 'mprelay_link_transitions_total', help: 'Link verdict changes, by link and new verdict', labelNames: ['link', 'to'], registers });
    this.probeRtt = new Histogram({
      name: 'mprelay_link_probe_rtt_seconds',
      help: 'Round trip of the link probes, by link',
      labelNames: ['link'],
      buckets: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28],
      registers,
    });
    this.linkSwitches = new Counter({ name: 'mprelay_link_switches_total', help: 'MPTCP endpoint changes made on link verdicts', labelNames: ['link', 'action', 'result'], registers });
    this.pathChanges = new Counter({ name: 'mprelay_path_changes_total', help: 'Subflow commands of the relay path manager, by link, change and result', labelNames: ['link', 'change', 'result'], registers });
    this.bulkTrials = new Counter({ name: 'mprelay_bulk_events_total', help: 'Bulk tests of connections (other links sending), by event', labelNames: ['event'], registers });
    this.trialCarried = new Gauge({ name: 'mprelay_trial_carried_bytes_per_second', help: 'Goodput a joined link carried in the last bulk trial, by link and direction', labelNames: ['link', 'direction'], registers });
    this.linkCapacity = new Gauge({ name: 'mprelay_link_capacity_bytes_per_second', help: 'What each link can carry, by link and direction, from the packet dispersion of its capacity trains (median of the last few)', labelNames: ['link', 'direction'], registers });
    this.freshLink = new Counter({ name: 'mprelay_fresh_connections_total', help: 'MPTCP connections opened to the remote, by the link of their first subflow', labelNames: ['link'], registers });
    this.probes = new Counter({ name: 'mprelay_probes_total', help: 'Link probe requests received, by result', labelNames: ['result'], registers });
    this.pathsUp = new Gauge({ name: 'mprelay_paths_up', help: 'Paths (probe source addresses) heard from recently', registers });
    this.dnsQueries = new Counter({ name: 'mprelay_dns_queries_total', help: 'DNS queries taken by the forwarder, by transport and result', labelNames: ['transport', 'result'], registers });
    this.dnsSeconds = new Histogram({
      name: 'mprelay_dns_query_seconds',
      help: 'DNS queries: from arrival until the answer was sent, by transport and result',
      labelNames: ['transport', 'result'],
      buckets: [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12],
      registers,
    });
    this.unsentBytes = new Gauge({
      name: 'mprelay_unsent_bytes',
      help: "Bytes relayed connections hold taken in and not yet sent on (Node's queues and the kernel's unsent bytes)",
      registers,
      collect: () => this.unsentBytes.set(this.#unsentSource()),
    });
  }

  /** Where mprelay_unsent_bytes comes from. */
  measureUnsent(source: () => number): void {
    this.#unsentSource = source;
  }

  /** Serves GET /metrics; resolves with the bound address. */
  async serve(address: string, port: number): Promise<{ server: http.Server; address: AddressInfo }> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => resolve());
    });
    return { server, address: server.address() as AddressInfo };
  }
}
