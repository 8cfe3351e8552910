// Every metric the lab reports, defined once: name, unit, which way is better, and what
// exactly is measured. Throughput metrics are keyed per direction and flow count
// (goodput_down_4flows_mbps), failover metrics per link that went down
// (stall_link_a_ms), so that summary[system][workload][metric] stays flat.
// Every attempt is a sample: a latency whose attempt failed or timed out is entered at
// its timeout, censored (samples carry `censored: true`); success ratios are one 0/1
// sample per attempt, summarised by their mean.
import type { Direction, LinkName } from '../links/model.ts';
import type { WorkloadName } from '../scenario/schema.ts';

export type Better = 'lower' | 'higher';

export interface MetricDefinition {
  /** The workloads that report it (one, except success_ratio: connect and pageload). */
  workloads: readonly WorkloadName[];
  unit: string;
  better: Better;
  description: string;
}

const CENSORED = 'An attempt that failed or timed out is entered at its timeout, censored.';

export const BASE_METRICS = {
  connect_ms: {
    workloads: ['connect'],
    unit: 'ms',
    better: 'lower',
    description: `Fresh connection: from the connect() call until it resolves (with an intercepting proxy, the local proxy accepted). ${CENSORED}`,
  },
  ready_ms: {
    workloads: ['connect'],
    unit: 'ms',
    better: 'lower',
    description: `Fresh connection: from the connect() call until the server accepted it (one way, shared monotonic clock). ${CENSORED}`,
  },
  ttfb_ms: {
    workloads: ['connect'],
    unit: 'ms',
    better: 'lower',
    description: `Fresh connection, request written at connect: from the connect() call until the first response byte. ${CENSORED}`,
  },
  success_ratio: {
    workloads: ['connect', 'pageload'],
    unit: 'fraction',
    better: 'higher',
    description:
      'Share of attempts that succeeded, one 0/1 sample per attempt: connect, fresh connections whose whole response arrived and verified in time ' +
      '(attempts not made because the workload gave up after failures in a row count as failed, censored); pageload, pages loaded whole in time.',
  },
  keyscan_ms: {
    workloads: ['keyscan'],
    unit: 'ms',
    better: 'lower',
    description:
      "An SSH key exchange: OpenSSH's ssh-keyscan (ed25519) against sshd in the server namespace, one at a time, from starting the program until it exits with the key " +
      `(starting it included: see keyscan_start_ms). ${CENSORED}`,
  },
  keyscan_success_ratio: {
    workloads: ['keyscan'],
    unit: 'fraction',
    better: 'higher',
    description: "Share of the scans that got the server's key within the timeout (0/1 per scan).",
  },
  keyscan_start_ms: {
    workloads: ['keyscan'],
    unit: 'ms',
    better: 'lower',
    description: "What starting ssh-keyscan costs, the same for every system: a scan refused at once on the client's own loopback, start to exit.",
  },
  rtt_idle_ms: {
    workloads: ['hol'],
    unit: 'ms',
    better: 'lower',
    description: `Interactive flow, no other traffic: a 64-byte frame sent every probe interval on a fixed schedule (open loop), echoed back by the server, round trip. ${CENSORED}`,
  },
  rtt_loaded_ms: {
    workloads: ['hol'],
    unit: 'ms',
    better: 'lower',
    description: `Interactive flow (open loop) on its own connection while bulk downloads saturate the links: echo round trip. ${CENSORED}`,
  },
  echo_success_ratio: {
    workloads: ['hol'],
    unit: 'fraction',
    better: 'higher',
    description: 'Share of the interactive frames, idle and loaded, whose echo came back within the timeout (0/1 per frame).',
  },
  ttfb_loaded_ms: {
    workloads: ['hol'],
    unit: 'ms',
    better: 'lower',
    description: `Fresh connection opened while bulk downloads saturate the links: time to first response byte. ${CENSORED}`,
  },
  fetch_success_ratio: {
    workloads: ['hol'],
    unit: 'fraction',
    better: 'higher',
    description: 'Share of the fresh connections opened under load whose whole response arrived and verified within the timeout (0/1 per connection).',
  },
  page_load_ms: {
    workloads: ['pageload'],
    unit: 'ms',
    better: 'lower',
    description: `A synthetic page (a 30 KB document, then 40 objects, about 1 MB, over at most 6 keep-alive connections), nothing else running: from the first connect() until the last object's last byte. ${CENSORED}`,
  },
  page_load_loaded_ms: {
    workloads: ['pageload'],
    unit: 'ms',
    better: 'lower',
    description: `The same page while bulk downloads saturate the links. ${CENSORED}`,
  },
  transfer_ms: {
    workloads: ['transfer'],
    unit: 'ms',
    better: 'lower',
    description:
      "A file of the scenario's size on a fresh connection, one at a time: from the connect() call until the receiver has the last byte, verified " +
      `(a download: the client; an upload, written from the first moment as a client sending a file does: the server probe). ${CENSORED}`,
  },
  transfer_goodput_mbps: {
    workloads: ['transfer'],
    unit: 'Mbit/s',
    better: 'higher',
    description: "The file's bits over its transfer time, connection set-up and start-up included. A failed transfer is entered at size / timeout, censored (it was slower).",
  },
  transfer_success_ratio: {
    workloads: ['transfer'],
    unit: 'fraction',
    better: 'higher',
    description: 'Share of the transfers whose every byte arrived and verified within the timeout (0/1 per transfer).',
  },
  goodput_mbps: {
    workloads: ['throughput'],
    unit: 'Mbit/s',
    better: 'higher',
    description: 'Verified bytes at the receiver over the window after the omitted start, the ends of each flow moved by up to 1 s (a quarter of a shorter window) to moments its receiver had caught up (nothing held in a reorder queue), all flows together; one sample per repetition.',
  },
  aggregation: {
    workloads: ['throughput'],
    unit: 'ratio',
    better: 'higher',
    description: 'Goodput divided by the configured rate of link A + link B in that direction.',
  },
  stall_ms: {
    workloads: ['failover'],
    unit: 'ms',
    better: 'lower',
    description:
      'Bulk download while the link goes down and back: the longest gap in delivered bytes that overlaps the outage, from its own start (10 ms resolution); ' +
      'censored at the window end when bytes never came again.',
  },
  outage_goodput_ratio: {
    workloads: ['failover'],
    unit: 'ratio',
    better: 'higher',
    description:
      "The download's goodput while the link was down (bytes delivered to the application), divided by the configured down rate of the link that stayed up. " +
      'It can exceed 1 on short outages: data that crossed the failed link before it went down, held in the receiver\'s reorder queue behind a lost segment, is delivered during the outage.',
  },
  recovery_ms: {
    workloads: ['failover'],
    unit: 'ms',
    better: 'lower',
    description:
      "From the link's return until a 500 ms sliding window first reaches 90 % of the download's goodput in the 2 s before the outage, timed at the window's end " +
      "(10 ms resolution); censored at the window's end when it never does.",
  },
  new_connect_success_ratio: {
    workloads: ['failover'],
    unit: 'fraction',
    better: 'higher',
    description: 'Fresh connections (connect, one request, first byte) opened every 250 ms while the link was down: share that got their whole response within the timeout.',
  },
  new_connect_ttfb_ms: {
    workloads: ['failover'],
    unit: 'ms',
    better: 'lower',
    description: `Fresh connections opened while the link was down: time to first response byte. ${CENSORED}`,
  },
  echo_rtt_outage_ms: {
    workloads: ['failover'],
    unit: 'ms',
    better: 'lower',
    description: `Interactive echoes (every 100 ms, own connection, open loop) sent while the link was down: round trip. ${CENSORED}`,
  },
  dns_success_ratio: {
    workloads: ['failover'],
    unit: 'fraction',
    better: 'higher',
    description:
      "Name lookups started every 250 ms while the link was down, as a stub resolver makes them (UDP to the client's resolver, the server's dnsmasq; " +
      'sent again every second, 3 s at most): share answered with the right address in time. Systems that do not carry DNS leave it on the default route (link A).',
  },
  dns_ms: {
    workloads: ['failover'],
    unit: 'ms',
    better: 'lower',
    description: `Name lookups started while the link was down: from the first query sent until the right answer arrived. ${CENSORED}`,
  },
  survived: {
    workloads: ['failover'],
    unit: 'fraction',
    better: 'higher',
    description: "1 if the download's connection delivered every byte, verified, and kept delivering after the link returned, else 0 (one sample per repetition).",
  },
} as const satisfies Record<string, MetricDefinition>;

export type BaseMetricName = keyof typeof BASE_METRICS;

export interface ThroughputLabels {
  direction: Direction;
  flows: number;
}

export interface DirectionLabel {
  direction: Direction;
}

export interface LinkLabel {
  /** The link that went down. */
  link: LinkName;
}

export interface MetricInfo extends MetricDefinition {
  /** The key in samples and summaries. */
  key: string;
  base: BaseMetricName;
  direction?: Direction;
  flows?: number;
  link?: LinkName;
}

/** Unit suffixes stay last in a labelled key: goodput_mbps -> goodput_down_1flow_mbps, stall_ms -> stall_link_a_ms. */
const UNIT_SUFFIXES = ['_mbps', '_ms'];

function labelled(base: string, label: string): string {
  const suffix = UNIT_SUFFIXES.find((s) => base.endsWith(s));
  return suffix ? `${base.slice(0, -suffix.length)}_${label}${suffix}` : `${base}_${label}`;
}

/** A metric's key and definition; throughput metrics need their direction and flow count, transfer metrics their direction, failover metrics their link. */
export function metric(base: BaseMetricName, labels?: ThroughputLabels | DirectionLabel | LinkLabel): MetricInfo {
  const definition: MetricDefinition = BASE_METRICS[base];
  if (!labels) return { key: base, base, ...definition };
  if ('link' in labels) return { key: labelled(base, `link_${labels.link}`), base, ...definition, link: labels.link };
  if (!('flows' in labels)) return { key: labelled(base, labels.direction), base, ...definition, direction: labels.direction };
  return { key: labelled(base, `${labels.direction}_${labels.flows}${labels.flows === 1 ? 'flow' : 'flows'}`), base, ...definition, ...labels };
}
