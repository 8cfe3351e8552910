// How metric values are written for people, in the report and in the gate's output.
// `unit` is the metric definition's unit (results.json `metrics[key].unit`); ratios
// and fractions are written bare.

export function shownUnit(unit: string): string {
  return unit === 'ratio' || unit === 'fraction' ? '' : unit;
}

/** Three significant digits at most, no exponent: 0.0123, 1.23, 12.3, 123, 1234. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toFixed(decimals);
}

export function formatValue(value: number, unit: string): string {
  const shown = shownUnit(unit);
  return shown ? `${formatNumber(value)} ${shown}` : formatNumber(value);
}

export function formatInterval([lo, hi]: readonly [number, number], unit: string): string {
  const shown = shownUnit(unit);
  return `[${formatNumber(lo)}, ${formatNumber(hi)}]${shown ? ` ${shown}` : ''}`;
}

export function formatSigned(value: number, unit: string): string {
  const text = formatValue(value, unit);
  return value > 0 ? `+${text}` : text;
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  const text = `${(fraction * 100).toFixed(Math.abs(fraction) < 0.1 ? 1 : 0)} %`;
  return fraction > 0 ? `+${text}` : text;
}
