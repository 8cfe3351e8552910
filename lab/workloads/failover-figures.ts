// The failover figures of one download, from its received bytes (10 ms bins) and its
// gaps, given when the link went down and came back. Pure arithmetic on a byte series,
// so that each definition can be checked on series made by hand.
import type { Gap } from './probe/meter.ts';

/** Resolution of stall and recovery. */
export const FIGURE_BIN_MS = 10;
/** The goodput the download had just before the outage: the reference for recovery. */
const REFERENCE_MS = 2000;
const RECOVERY_WINDOW_MS = 500;
const RECOVERY_FRACTION = 0.9;

/** ms after the window's start. */
export interface Outage {
  downMs: number;
  upMs: number;
}

export interface DownloadSeries {
  /** Bytes received per FIGURE_BIN_MS bin from the window's start. */
  bins: readonly number[];
  /** Gaps between arrivals (meter.ts), ms after the window's start. */
  gaps: readonly Gap[];
  /** The first byte (ms after the start), null if none came. */
  firstMs: number | null;
  /** The window's end. */
  endMs: number;
}

/** A figure that may be censored: the event it waits for did not happen before the window ended. */
export interface Figure {
  value: number;
  censored: boolean;
}

function bytesIn(bins: readonly number[], fromBin: number, toBin: number): number {
  let bytes = 0;
  for (let i = Math.max(0, fromBin); i < toBin; i++) bytes += bins[i] ?? 0;
  return bytes;
}

/**
 * The longest gap in delivered bytes that overlaps the outage, measured from its own
 * start (a stall that began before the link went down, because the path was already
 * struggling, counts whole). Censored when bytes never came again before the window's end.
 */
export function stall(series: DownloadSeries, outage: Outage): Figure {
  const gaps = [...series.gaps, { startMs: 0, endMs: series.firstMs ?? series.endMs }];
  const overlapping = gaps.filter((g) => g.startMs < outage.upMs && g.endMs > outage.downMs);
  if (overlapping.length === 0) return { value: 0, censored: false };
  const longest = overlapping.reduce((a, b) => (b.endMs - b.startMs > a.endMs - a.startMs ? b : a));
  return { value: longest.endMs - longest.startMs, censored: longest.endMs >= series.endMs };
}

/**
 * From the link's return until a RECOVERY_WINDOW_MS window, sliding in FIGURE_BIN_MS
 * steps, first holds RECOVERY_FRACTION of the goodput of the REFERENCE_MS before the
 * outage, timed at the window's end. Censored at the window's end when it never does (or
 * when there was nothing to recover to).
 */
export function recovery(series: DownloadSeries, outage: Outage): Figure {
  const downBin = Math.floor(outage.downMs / FIGURE_BIN_MS);
  const referenceBytes = bytesIn(series.bins, downBin - REFERENCE_MS / FIGURE_BIN_MS, downBin);
  const needed = RECOVERY_FRACTION * referenceBytes * (RECOVERY_WINDOW_MS / REFERENCE_MS);
  const windowBins = RECOVERY_WINDOW_MS / FIGURE_BIN_MS;
  const lastEnd = Math.floor(series.endMs / FIGURE_BIN_MS);
  for (let end = Math.ceil(outage.upMs / FIGURE_BIN_MS); end <= lastEnd && needed > 0; end++) {
    if (bytesIn(series.bins, end - windowBins, end) >= needed) return { value: end * FIGURE_BIN_MS - outage.upMs, censored: false };
  }
  return { value: series.endMs - outage.upMs, censored: true };
}

/** Goodput during the outage divided by the rate of the link that stayed up. */
export function outageGoodputRatio(series: DownloadSeries, outage: Outage, survivingRateBitsPerSec: number): number {
  const fromBin = Math.ceil(outage.downMs / FIGURE_BIN_MS);
  const toBin = Math.floor(outage.upMs / FIGURE_BIN_MS);
  if (toBin <= fromBin) return 0;
  const bitsPerSec = (bytesIn(series.bins, fromBin, toBin) * 8) / (((toBin - fromBin) * FIGURE_BIN_MS) / 1000);
  return bitsPerSec / survivingRateBitsPerSec;
}

/** Bytes arrived after the link came back. */
export function deliveredAfter(series: DownloadSeries, outage: Outage): boolean {
  return bytesIn(series.bins, Math.ceil(outage.upMs / FIGURE_BIN_MS), series.bins.length) > 0;
}

/** Attempts (fresh connections, echoes...) started while the link was down; times ms after the window's start. */
export function duringOutage<T>(attempts: readonly T[], startMs: (attempt: T) => number, outage: Outage): T[] {
  return attempts.filter((a) => startMs(a) >= outage.downMs && startMs(a) < outage.upMs);
}
