// Every metric the lab reports, defined once: name, unit, which way is better, and what
// exactly is measured. Throughput metrics are keyed per direction and flow count
// (goodput_down_4flows_mbps), so that summary[system][workload][metric] stays flat.
import type { Direction } from '../links/model.ts';
import type { WorkloadName } from '../scenario/schema.ts';

export type Better = 'lower' | 'higher';

export interface MetricDefinition {
  workload: WorkloadName;
  unit: string;
  better: Better;
  description: string;
}

export const BASE_METRICS = {
  connect_ms: {
    workload: 'connect',
    unit: 'ms',
    better: 'lower',
    description: 'Fresh connection: from the connect() call until it resolves (with an intercepting proxy, the local proxy accepted).',
  },
  ready_ms: {
    workload: 'connect',
    unit: 'ms',
    better: 'lower',
    description: 'Fresh connection: from the connect() call until the server accepted it (one way, shared monotonic clock).',
  },
  ttfb_ms: {
    workload: 'connect',
    unit: 'ms',
    better: 'lower',
    description: 'Fresh connection, request written at connect: from the connect() call until the first response byte.',
  },
  rtt_idle_ms: {
    workload: 'hol',
    unit: 'ms',
    better: 'lower',
    description: 'Interactive flow, no other traffic: a 64-byte request echoed back by the server, round trip.',
  },
  rtt_loaded_ms: {
    workload: 'hol',
    unit: 'ms',
    better: 'lower',
    description: 'Interactive flow on its own connection while bulk downloads saturate the links: echo round trip.',
  },
  ttfb_loaded_ms: {
    workload: 'hol',
    unit: 'ms',
    better: 'lower',
    description: 'Fresh connection opened while bulk downloads saturate the links: time to first response byte.',
  },
  goodput_mbps: {
    workload: 'throughput',
    unit: 'Mbit/s',
    better: 'higher',
    description: 'Verified bytes at the receiver per interval of about 1 s after a ramp-up (a quarter of the run, at most 1 s), all flows together.',
  },
  aggregation: {
    workload: 'throughput',
    unit: 'ratio',
    better: 'higher',
    description: 'Goodput divided by the configured rate of link A + link B in that direction.',
  },
  stall_ms: {
    workload: 'failover',
    unit: 'ms',
    better: 'lower',
    description: 'Bulk download while a link goes down and back: longest time without a received byte.',
  },
  survived: {
    workload: 'failover',
    unit: 'fraction',
    better: 'higher',
    description: '1 if the download connection stayed intact, every byte verified and bytes flowed after the link returned, else 0.',
  },
  recovery_ms: {
    workload: 'failover',
    unit: 'ms',
    better: 'lower',
    description: 'From the link coming back until a 500 ms window reaches 90 % of the goodput before the outage (no sample if it never does).',
  },
} as const satisfies Record<string, MetricDefinition>;

export type BaseMetricName = keyof typeof BASE_METRICS;

export interface ThroughputLabels {
  direction: Direction;
  flows: number;
}

export interface MetricInfo extends MetricDefinition {
  /** The key in samples and summaries. */
  key: string;
  base: BaseMetricName;
  direction?: Direction;
  flows?: number;
}

/** A metric's key and definition; throughput metrics need their direction and flow count. */
export function metric(base: BaseMetricName, labels?: ThroughputLabels): MetricInfo {
  const definition: MetricDefinition = BASE_METRICS[base];
  if (!labels) return { key: base, base, ...definition };
  const label = `${labels.direction}_${labels.flows}${labels.flows === 1 ? 'flow' : 'flows'}`;
  // The unit suffix stays last: goodput_mbps -> goodput_down_1flow_mbps, aggregation -> aggregation_down_1flow.
  const key = base.endsWith('_mbps') ? `${base.slice(0, -'_mbps'.length)}_${label}_mbps` : `${base}_${label}`;
  return { key, base, ...definition, ...labels };
}
