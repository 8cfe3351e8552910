// Which metrics make the headline, in which order: one list for the terminal table at
// the end of a run and for the report's headline table. Every latency stands next to
// the success ratio of the attempts it was measured on.
import type { WorkloadName } from '../scenario/schema.ts';
import type { Results } from './results.ts';

export interface HeadlineColumn {
  workload: WorkloadName;
  metric: string;
  label: string;
  /** A 0/1 outcome (per repetition, or per attempt), shown as a share (its mean) with its count, without interval or ratio. */
  share?: 'repetitions' | 'attempts';
}

const BEFORE_GOODPUT: HeadlineColumn[] = [
  { workload: 'connect', metric: 'ttfb_ms', label: 'time to first byte' },
  { workload: 'connect', metric: 'connect_ms', label: 'connect' },
  { workload: 'connect', metric: 'success_ratio', label: 'connections ok', share: 'attempts' },
  { workload: 'keyscan', metric: 'keyscan_ms', label: 'SSH key exchange' },
  { workload: 'keyscan', metric: 'keyscan_success_ratio', label: 'key exchanges ok', share: 'attempts' },
  { workload: 'hol', metric: 'rtt_idle_ms', label: 'interactive RTT, idle' },
  { workload: 'hol', metric: 'rtt_loaded_ms', label: 'interactive RTT, loaded' },
  { workload: 'hol', metric: 'echo_success_ratio', label: 'echoes back', share: 'attempts' },
  { workload: 'hol', metric: 'ttfb_loaded_ms', label: 'first byte, loaded' },
  { workload: 'hol', metric: 'fetch_success_ratio', label: 'connections ok, loaded', share: 'attempts' },
  { workload: 'pageload', metric: 'page_load_ms', label: 'page load' },
  { workload: 'pageload', metric: 'page_load_loaded_ms', label: 'page load, loaded' },
  { workload: 'pageload', metric: 'success_ratio', label: 'pages ok', share: 'attempts' },
];

/** Per link that went down, in this order. */
const FAILOVER: { base: string; label: string; share?: HeadlineColumn['share'] }[] = [
  { base: 'stall_ms', label: 'stall' },
  { base: 'outage_goodput_ratio', label: 'goodput while down / other link' },
  { base: 'recovery_ms', label: 'recovery' },
  { base: 'new_connect_ttfb_ms', label: 'first byte, new connection while down' },
  { base: 'new_connect_success_ratio', label: 'new connections ok while down', share: 'attempts' },
  { base: 'echo_rtt_outage_ms', label: 'echo RTT while down' },
  { base: 'dns_ms', label: 'name lookup while down' },
  { base: 'dns_success_ratio', label: 'lookups ok while down', share: 'attempts' },
  { base: 'survived', label: 'download survived', share: 'repetitions' },
];

/** The headline columns for a run's metric table (goodput: one per direction and flow count it has; failover: per link). */
export function headlineColumns(metrics: Results['metrics']): HeadlineColumn[] {
  const infos = Object.values(metrics);
  const goodput = infos.flatMap((info): HeadlineColumn[] =>
    info.base === 'goodput_mbps'
      ? [{ workload: 'throughput', metric: info.key, label: `goodput ${info.direction} ${info.flows} flow${info.flows === 1 ? '' : 's'}` }]
      : [],
  );
  // Each direction's goodput beside the share of its transfers that arrived whole.
  const transfer = infos.flatMap((info): HeadlineColumn[] => {
    if (info.base !== 'transfer_goodput_mbps') return [];
    const ok = infos.find((i) => i.base === 'transfer_success_ratio' && i.direction === info.direction);
    return [
      { workload: 'transfer', metric: info.key, label: `file ${info.direction}, goodput` },
      ...(ok ? [{ workload: 'transfer' as const, metric: ok.key, label: `files ${info.direction} ok`, share: 'attempts' as const }] : []),
    ];
  });
  const links = [...new Set(infos.flatMap((info) => (info.link ? [info.link] : [])))].sort();
  const failover = links.flatMap((link) =>
    FAILOVER.flatMap(({ base, label, share }): HeadlineColumn[] => {
      const info = infos.find((i) => i.base === base && i.link === link);
      return info ? [{ workload: 'failover', metric: info.key, label: `link ${link} down: ${label}`, ...(share && { share }) }] : [];
    }),
  );
  return [...BEFORE_GOODPUT, ...transfer, ...goodput, ...failover];
}
