// From a sample key back to its one definition in lab/workloads/metrics.ts: throughput
// keys carry direction and flow count (goodput_down_4flows_mbps, aggregation_up_1flow).
import { BASE_METRICS, type BaseMetricName, type MetricDefinition } from '../../workloads/metrics.ts';

const LABELLED = /^(goodput|aggregation)_(down|up)_(\d+)flows?(_mbps)?$/;

export interface KeyInfo extends MetricDefinition {
  base: BaseMetricName;
  direction?: 'down' | 'up';
  flows?: number;
}

export function keyInfo(key: string): KeyInfo | undefined {
  if (key in BASE_METRICS) return { base: key as BaseMetricName, ...BASE_METRICS[key as BaseMetricName] };
  const match = LABELLED.exec(key);
  if (!match) return undefined;
  const base: BaseMetricName = match[1] === 'goodput' ? 'goodput_mbps' : 'aggregation';
  if ((base === 'goodput_mbps') !== (match[4] === '_mbps')) return undefined;
  return { base, ...BASE_METRICS[base], direction: match[2] as 'down' | 'up', flows: Number(match[3]) };
}
