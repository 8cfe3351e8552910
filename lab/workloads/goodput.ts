// Goodput from receiver bins: the one place bytes-per-bin become Mbit/s.
import type { MeterReport } from './probe/meter.ts';

/** Bytes received by all flows together in each bin (bins are aligned on the same reference time). */
export function sumBins(flows: readonly MeterReport[]): number[] {
  const length = Math.max(0, ...flows.map((f) => f.bins.length));
  return Array.from({ length }, (_, i) => flows.reduce((total, f) => total + (f.bins[i] ?? 0), 0));
}

/** Mbit/s over the bins [fromBin, toBin). */
export function binsMbps(bins: readonly number[], fromBin: number, toBin: number, binMs: number): number {
  if (toBin <= fromBin) throw new Error('binsMbps: empty span');
  let bytes = 0;
  for (let i = fromBin; i < toBin; i++) bytes += bins[i] ?? 0;
  return (bytes * 8) / ((toBin - fromBin) * binMs * 1000);
}
