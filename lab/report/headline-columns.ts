// Which metrics make the headline, in which order: one list for the terminal table at
// the end of a run and for the report's headline table.
import type { WorkloadName } from '../scenario/schema.ts';
import type { Results } from './results.ts';

export interface HeadlineColumn {
  workload: WorkloadName;
  metric: string;
  label: string;
  /** A 0/1 outcome per repetition, shown as a share (its mean) without interval or ratio. */
  share?: boolean;
}

const BEFORE_GOODPUT: HeadlineColumn[] = [
  { workload: 'connect', metric: 'ttfb_ms', label: 'time to first byte' },
  { workload: 'connect', metric: 'connect_ms', label: 'connect' },
  { workload: 'hol', metric: 'rtt_idle_ms', label: 'interactive RTT, idle' },
  { workload: 'hol', metric: 'rtt_loaded_ms', label: 'interactive RTT, loaded' },
  { workload: 'hol', metric: 'ttfb_loaded_ms', label: 'first byte, loaded' },
];
const AFTER_GOODPUT: HeadlineColumn[] = [
  { workload: 'failover', metric: 'stall_ms', label: 'failover stall' },
  { workload: 'failover', metric: 'recovery_ms', label: 'failover recovery' },
  { workload: 'failover', metric: 'survived', label: 'failover survived', share: true },
];

/** The headline columns for a run's metric table (goodput: one per direction and flow count it has). */
export function headlineColumns(metrics: Results['metrics']): HeadlineColumn[] {
  const goodput = Object.values(metrics).flatMap((info): HeadlineColumn[] =>
    info.base === 'goodput_mbps'
      ? [{ workload: 'throughput', metric: info.key, label: `goodput ${info.direction} ${info.flows} flow${info.flows === 1 ? '' : 's'}` }]
      : [],
  );
  return [...BEFORE_GOODPUT, ...goodput, ...AFTER_GOODPUT];
}
