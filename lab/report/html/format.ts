// How metric values are written for people, in the report and in the gate's output,
// with the unit from the metric's definition (ratios and fractions go bare).
import { keyInfo } from './metric-key.ts';

export function metricUnit(metric: string): string {
  const unit = keyInfo(metric)?.unit ?? '';
  return unit === 'ratio' || unit === 'fraction' ? '' : unit;
}

/** Three significant digits at most, no exponent: 0.0123, 1.23, 12.3, 123, 1234. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toFixed(decimals);
}

export function formatValue(value: number, metric: string): string {
  const unit = metricUnit(metric);
  return unit ? `${formatNumber(value)} ${unit}` : formatNumber(value);
}

export function formatInterval([lo, hi]: readonly [number, number], metric: string): string {
  const unit = metricUnit(metric);
  return `[${formatNumber(lo)}, ${formatNumber(hi)}]${unit ? ` ${unit}` : ''}`;
}

export function formatSigned(value: number, metric: string): string {
  const text = formatValue(value, metric);
  return value > 0 ? `+${text}` : text;
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  const text = `${(fraction * 100).toFixed(Math.abs(fraction) < 0.1 ? 1 : 0)} %`;
  return fraction > 0 ? `+${text}` : text;
}
