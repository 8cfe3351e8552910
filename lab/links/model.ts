// The link model: what one emulated ISP link does to packets, per direction.
// Both backends (userspace C datapath, tc netem) take exactly this; the scenario
// parser produces it from human units, so values here are already validated.

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
