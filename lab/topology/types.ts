// What a built topology looks like to the layers above it (systems, workloads).
// Addresses are fixed per role: every run lives in its own namespaces, so runs never collide.
import type { LinkModel, LinkName, LinkBackendName } from '../links/model.ts';

export interface Namespaces {
  client: string;
  gwLocal: string;
  gwRemote: string;
  server: string;
}

/** Fixed addressing, as in real life: a home LAN, two ISP links, one public relay address, a server. */
export const ADDR = {
  /** Client's LAN address; traffic from it leaves the home over link A. */
  client: '192.168.1.2',
  /** Client's second LAN address; gw-local routes traffic from it over link B (for end-to-end MPTCP). */
  clientB: '192.168.2.2',
  gwLocalLan: '192.168.1.1',
  gwLocalLanB: '192.168.2.1',
  gwLocalLinkA: '100.64.1.2',
  gwRemoteLinkA: '100.64.1.1',
  gwLocalLinkB: '100.64.2.2',
  gwRemoteLinkB: '100.64.2.1',
  /** gw-remote's one public address, on its loopback, reachable over both links. */
  gwRemotePublic: '198.51.100.1',
  gwRemoteWan: '203.0.113.1',
  server: '203.0.113.2',
} as const;

/**
 * The world's DNS: dnsmasq on the server's address (lab/topology/dns-server.ts), the
 * resolver the client is configured with, authoritative for this zone. The workloads
 * look up `name`, whose A record is `address`.
 */
export const LAB_DNS = {
  resolver: ADDR.server,
  zone: { domain: 'mplab.test', hosts: { 'server.mplab.test': ADDR.server } },
  name: 'server.mplab.test',
  address: ADDR.server,
} as const;

/** Interface names inside the namespaces. */
export const DEV = {
  lan: 'lan0',
  wan: 'wan0',
  linkA: 'linka',
  linkB: 'linkb',
} as const;

export const LINK_DEV: Record<LinkName, string> = { a: DEV.linkA, b: DEV.linkB };

/** gw-local's routing table whose default route is link B (policy routing by source, or by a system's rule). */
export const ROUTE_TABLE_LINK_B = 102;

/** Control of one running emulated link (either backend). */
export interface LinkControl {
  readonly name: LinkName;
  readonly backend: LinkBackendName;
  readonly model: LinkModel;
  /** Takes the link down (all packets dropped, both directions) or brings it back. */
  setOutage(down: boolean): Promise<void>;
  setRate(direction: 'down' | 'up', rateBitsPerSec: number): Promise<void>;
  /** Counters since start, per direction. */
  counters(): Promise<LinkCounters>;
  stop(): Promise<void>;
}

export interface DirectionCounters {
  sentPackets: number;
  /** IP bytes delivered (both backends count the same bytes: no link-layer header). */
  sentBytes: number;
  lossDrops: number;
  queueDrops: number;
  outageDrops: number;
  /** IP bytes that reached the link, delivered, dropped or still held (the quiet wait watches it). */
  arrivedBytes?: number;
  /** IP bytes held right now: queued for serialisation or on the delay line. */
  backlogBytes?: number;
  /** Lateness of departures against their due time (userspace backend only). */
  latenessP50Us?: number;
  latenessP99Us?: number;
  latenessMaxUs?: number;
  /** Delay applied after serialisation (propagation + jitter + lateness): mean and standard deviation (userspace only). */
  appliedDelayMeanUs?: number;
  appliedDelaySdUs?: number;
  /** Due times the emulator had to raise to keep the order (jitter needs none; a rate change may). */
  clampedPackets?: number;
}

export interface LinkCounters {
  down: DirectionCounters;
  up: DirectionCounters;
  /** CPU time used by the emulator process, if it is a process of ours. */
  cpuSeconds?: number;
  /** SCHED_FIFO priority the emulator got (0: none, so lateness suffers on a busy machine); absent for netem. */
  rtPriority?: number;
}

export interface Topology {
  runId: string;
  /** Where this run writes configs and logs. */
  runDir: string;
  ns: Namespaces;
  links: Record<LinkName, LinkControl>;
  congestionControl: string;
  /** Tears everything down; safe to call more than once. */
  destroy(): Promise<void>;
}
