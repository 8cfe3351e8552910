// The link model: what one emulated ISP link does to packets, per direction.
// Both backends (userspace C datapath, tc netem) take exactly this; the scenario
// parser produces it from human units, so values here are already validated.
import { binomialDistribution } from 'simple-statistics';

/** Gilbert-Elliott two-state burst loss (per packet transitions). */
export interface BurstLoss {
  /** P(good -> bad) per packet. */
  enterProbability: number;
  /** P(bad -> good) per packet. */
  exitProbability: number;
  /** Loss probability while in the bad state. */
  lossInBurst: number;
}

export interface DirectionModel {
  rateBitsPerSec: number;
  delayMs: number;
  /** Uniform jitter, +-jitterMs around delayMs; packets are never reordered. */
  jitterMs: number;
  /** Independent random loss probability (0..1). */
  lossProbability: number;
  burstLoss?: BurstLoss;
  /** Byte limit of the bottleneck queue; packets arriving to a full queue are dropped. */
  queueBytes: number;
}

export type LinkName = 'a' | 'b';
export type Direction = 'down' | 'up';

export type ScheduleAction =
  | { kind: 'outage'; durationMs: number }
  | { kind: 'rate'; direction: Direction; rateBitsPerSec: number };

export interface ScheduleEvent {
  /** Milliseconds after the schedule starts (the failover workload starts it). */
  atMs: number;
  action: ScheduleAction;
}

export interface LinkModel {
  name: LinkName;
  /** gw-remote -> gw-local (towards the home). */
  down: DirectionModel;
  /** gw-local -> gw-remote. */
  up: DirectionModel;
  schedule: ScheduleEvent[];
}

export type LinkBackendName = 'userspace' | 'netem';

/** Expected long-run loss rate of a direction (random and burst loss combined). */
export function expectedLossProbability(model: DirectionModel): number {
  const burst = model.burstLoss;
  const burstShare = burst ? burst.enterProbability / (burst.enterProbability + burst.exitProbability) : 0;
  const burstLoss = burst ? burstShare * burst.lossInBurst : 0;
  return 1 - (1 - model.lossProbability) * (1 - burstLoss);
}

/** Configured round-trip time of a link without queueing: both one-way delays. */
export function baseRttMs(link: LinkModel): number {
  return link.down.delayMs + link.up.delayMs;
}

/** Time to put `bytes` on the wire at `rateBitsPerSec`. */
export function serialisationMs(bytes: number, rateBitsPerSec: number): number {
  return (bytes * 8 * 1000) / rateBitsPerSec;
}

/**
 * Central interval of the loss fraction that `trials` independent packets show with
 * probability `confidence` when each is lost with `probability` (binomial quantiles).
 * Burst loss makes losses cluster, so its real spread is wider than this.
 */
export function lossInterval(trials: number, probability: number, confidence = 0.99): [number, number] {
  if (trials <= 0) return [0, 1];
  const pmf = binomialDistribution(trials, probability);
  if (!pmf) throw new Error(`no binomial distribution for ${trials} trials at ${probability}`);
  const tail = (1 - confidence) / 2;
  let cumulative = 0;
  let low: number | undefined;
  let high = pmf.length - 1;
  for (let k = 0; k < pmf.length; k++) {
    cumulative += pmf[k]!;
    if (low === undefined && cumulative > tail) low = k;
    if (cumulative >= 1 - tail) {
      high = k;
      break;
    }
  }
  return [(low ?? 0) / trials, high / trials];
}
