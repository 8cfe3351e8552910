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

/** The edge from `outer` towards `inner` (both included) where `ahead` is largest; on a tie the outer one, so a steady receiver keeps the whole span. */
function furthestAhead(outer: number, inner: number, ahead: (edge: number) => number): number {
  const step = Math.sign(inner - outer);
  let best = outer;
  for (let edge = outer + step; edge !== inner + step; edge += step) if (ahead(edge) > ahead(best)) best = edge;
  return best;
}

/**
 * The bins [fromBin, toBin) with each end moved inward by at most `searchBins` to the
 * bin edge where the receiver was furthest ahead of the span's mean rate: the moment it
 * had caught up. A reorder queue (an MPTCP connection waiting for one subflow's
 * retransmission) holds hundreds of KB and releases them at once; counted from a moment
 * it was full to one it was empty, a 7 s window of lossy-wisp read up to 1.4 % more
 * bytes than the links delivered in it, IP headers included. Between caught-up moments
 * what is held at each end is about the same: nothing.
 */
export function caughtUpSpan(bins: readonly number[], fromBin: number, toBin: number, searchBins: number): { fromBin: number; toBin: number } {
  if (toBin - fromBin <= 2 * searchBins) throw new Error('caughtUpSpan: the span is too short for its search');
  const cumulative = [0];
  for (let i = 0; i < toBin; i++) cumulative.push(cumulative[i]! + (bins[i] ?? 0));
  // "Ahead" is measured against the mean rate between the ends; a release inside the
  // fixed span inflates that rate, so the ends are found again against the rate between
  // the first caught-up ones.
  let span = { fromBin, toBin };
  for (let pass = 0; pass < 2; pass++) {
    const perBin = (cumulative[span.toBin]! - cumulative[span.fromBin]!) / (span.toBin - span.fromBin);
    const ahead = (edge: number) => cumulative[edge]! - perBin * edge;
    span = { fromBin: furthestAhead(fromBin, fromBin + searchBins, ahead), toBin: furthestAhead(toBin, toBin - searchBins, ahead) };
  }
  return span;
}
