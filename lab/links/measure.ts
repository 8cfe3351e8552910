// Measures one running link against its model (`mplab links`, and the link tests):
// RTT (ping), one-way delays and loss per direction with its 99 % interval (UDP
// probes on the shared monotonic clock; their delays carry ~0.3 ms of Node), single-flow TCP
// goodput per direction, the outage window, and the emulator's own cost.
import { min, quantileSorted } from 'simple-statistics';
import type { DirectionCounters, LinkControl, LinkCounters } from '../topology/types.ts';
import { measureGoodput } from './goodput.ts';
import { baseRttMs, expectedLossProbability, lossInterval, serialisationMs, type Direction, type DirectionModel, type LinkBackendName, type LinkModel } from './model.ts';
import { pingRttsMs } from './ping.ts';
import { PROBE_IP_BYTES, PROBE_PAYLOAD_BYTES, type ReflectedProbe } from './probe-protocol.ts';
import { startProbes, type ProbeEndpoints, type ProbeRun, type ProbeSession } from './probes.ts';

export { formatLinkTable } from './link-table.ts';

export interface MeasureLinkOptions extends ProbeEndpoints {
  control: LinkControl;
  /** Pings sent for RTT. */
  rttProbes?: number;
  /** UDP probes sent for loss and one-way delay. */
  lossProbes?: number;
  goodputSeconds?: number;
  /** Outage to apply; default: the model's first scheduled outage, else 1 s. */
  outageMs?: number;
  log?: (line: string) => void;
}

export interface Quantiles {
  n: number;
  min: number;
  median: number;
  p99: number;
}

export interface LossMeasurement {
  probes: number;
  lost: number;
  measured: number;
  configured: number;
  /** Where the measured fraction falls 99 % of the time if the model holds (binomial). */
  interval99: [number, number];
  inside: boolean;
  /** Burst loss clusters, so the binomial interval understates the real spread. */
  bursty: boolean;
}

export interface OutageMeasurement {
  /**
   * Longest gap between the send times of probes that got through, on the sender's
   * clock: a receiver that is scheduled late cannot stretch it.
   */
  gapMs: number;
  /** The applied outage plus the delay of the last probe that made it before it. */
  expectedGapMs: number;
  errorMs: number;
  /** Probes sent while the outage was on that were delivered anyway: must be 0. */
  deliveredDuringOutage: number;
  /** Longest pause of the sender itself (every probe, delivered or not): the gap's resolution. */
  senderMaxPauseMs: number;
}

export interface GoodputMeasurement {
  rateBitsPerSec: number;
  /** Single TCP flow, payload bits per second at the receiver. */
  goodputBitsPerSec: number;
  /** goodput / configured rate (IP bytes count against the rate, so at most ~0.965 at MTU 1500). */
  goodputShare: number;
  retransmits: number;
  /** Emulator CPU during this direction's goodput test, % of one core (userspace backend). */
  emulatorCpuPercent?: number;
}

export interface DirectionMeasurement extends GoodputMeasurement {
  direction: Direction;
  /** Configured one-way delay plus the probe's serialisation time. */
  configuredDelayMs: number;
  oneWayDelayMs: Quantiles;
  loss: LossMeasurement;
  outage: OutageMeasurement;
  counters: DirectionCounters;
}

export interface LinkMeasurement {
  name: LinkModel['name'];
  backend: LinkBackendName;
  model: LinkModel;
  rttMs: Quantiles & {
    /** Configured round trip for a probe: both delays and both serialisation times. */
    configured: number;
    /** Median minus configured. */
    errorMs: number;
    /** 0.5 ms + 2 % of the configured round trip. */
    toleranceMs: number;
  };
  /** How long the outage was on, as applied (between the two commands' completions). */
  outageAppliedMs: number;
  up: DirectionMeasurement;
  down: DirectionMeasurement;
  cpuSeconds?: number;
  durationMs: number;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const OUTAGE_PROBE_SPACING_MS = 2;
const OUTAGE_MARGIN_MS = 300;

export function quantiles(values: number[]): Quantiles {
  if (values.length === 0) return { n: 0, min: NaN, median: NaN, p99: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, min: min(sorted), median: quantileSorted(sorted, 0.5), p99: quantileSorted(sorted, 0.99) };
}

export function measureLoss(probes: number, delivered: number, model: DirectionModel): LossMeasurement {
  const configured = expectedLossProbability(model);
  const lost = probes - delivered;
  const measured = probes > 0 ? lost / probes : NaN;
  const interval99 = lossInterval(probes, configured, 0.99);
  return { probes, lost, measured, configured, interval99, inside: measured >= interval99[0] && measured <= interval99[1], bursty: model.burstLoss !== undefined };
}

/** Longest gap in a list of times (ms), in any order. */
export function longestGapMs(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < sorted.length; i++) gap = Math.max(gap, sorted[i]! - sorted[i - 1]!);
  return gap;
}

/** `deliveredSentMs`: when each delivered probe was sent; `allSentMs`: every probe. */
function outageResult(deliveredSentMs: number[], allSentMs: number[], expectedGapMs: number, window: { from: number; to: number }): OutageMeasurement {
  const gapMs = longestGapMs(deliveredSentMs);
  return {
    gapMs,
    expectedGapMs,
    errorMs: gapMs - expectedGapMs,
    deliveredDuringOutage: deliveredSentMs.filter((t) => t > window.from && t < window.to).length,
    senderMaxPauseMs: longestGapMs(allSentMs),
  };
}

/** Probes spaced so that they never queue behind each other, nor get held back by the no-reordering rule. */
function probeSpacingMs(model: LinkModel, forRtt: boolean): number {
  const slowest = Math.min(model.up.rateBitsPerSec, model.down.rateBitsPerSec);
  const clear = 10 * serialisationMs(PROBE_IP_BYTES, slowest);
  const jitter = forRtt ? 2 * Math.max(model.up.jitterMs, model.down.jitterMs) + 1 : 0;
  return Math.max(1, clear, jitter);
}

function drainMs(model: LinkModel): number {
  return 2 * (baseRttMs(model) + model.up.jitterMs + model.down.jitterMs) + 200;
}

function scheduledOutageMs(model: LinkModel): number {
  for (const event of model.schedule) if (event.action.kind === 'outage') return event.action.durationMs;
  return 1000;
}

/** A probe run and what its reflector saw of it. */
interface Delivered {
  run: ProbeRun;
  arrivals: ReflectedProbe[];
}

interface ProbePhases {
  rttsMs: number[];
  /** Loss and one-way delays, both directions through the echo. */
  loss: Delivered;
  /** One stream per direction, each sent from its own side, so each gap is on its sender's clock. */
  outage: Record<Direction, Delivered>;
  outageWindow: { from: number; to: number; appliedMs: number };
}

async function delivered(session: ProbeSession, run: Promise<ProbeRun>): Promise<Delivered> {
  const done = await run;
  const arrivals = (await session.arrivals()).filter(([phase]) => phase === done.phase);
  return { run: done, arrivals };
}

/** Probes both ways: `forward` sends up (local -> remote), `reverse` sends down. */
async function runProbePhases(forward: ProbeSession, reverse: ProbeSession, opts: MeasureLinkOptions, outageMs: number): Promise<ProbePhases> {
  const model = opts.control.model;
  const drain = drainMs(model);
  const rttsMs = await pingRttsMs({
    ns: opts.nsLocal,
    localAddr: opts.localAddr,
    remoteAddr: opts.remoteAddr,
    count: opts.rttProbes ?? 200,
    intervalMs: probeSpacingMs(model, true),
    payloadBytes: PROBE_PAYLOAD_BYTES,
  });
  const loss = await delivered(forward, forward.run({ count: opts.lossProbes ?? 2000, spacingMs: probeSpacingMs(model, false), drainMs: drain }));

  const outagePlan = { count: Math.ceil((2 * OUTAGE_MARGIN_MS + outageMs + baseRttMs(model)) / OUTAGE_PROBE_SPACING_MS), spacingMs: OUTAGE_PROBE_SPACING_MS, drainMs: drain };
  const outageUp = delivered(forward, forward.run(outagePlan));
  const outageDown = delivered(reverse, reverse.run(outagePlan));
  await sleep(OUTAGE_MARGIN_MS);
  const onStart = nowMs();
  await opts.control.setOutage(true);
  const onDone = nowMs();
  await sleep(outageMs - (onDone - onStart));
  const offStart = nowMs();
  await opts.control.setOutage(false);
  const offDone = nowMs();
  const outage = { up: await outageUp, down: await outageDown };
  // Certainly on between the two inner instants; applied for the time between the midpoints.
  const appliedMs = (offStart + offDone) / 2 - (onStart + onDone) / 2;
  return { rttsMs, loss, outage, outageWindow: { from: onDone, to: offStart, appliedMs } };
}

async function goodputMeasurement(control: LinkControl, endpoints: ProbeEndpoints, direction: Direction, seconds: number): Promise<GoodputMeasurement> {
  let before: LinkCounters | undefined;
  let wallStart = 0;
  const beforeClient = async () => {
    before = await control.counters();
    wallStart = nowMs();
  };
  const result = await measureGoodput({ ...endpoints, direction, seconds, beforeClient });
  const wallMs = nowMs() - wallStart;
  const after = await control.counters();
  const rateBitsPerSec = control.model[direction].rateBitsPerSec;
  const cpu = before?.cpuSeconds !== undefined && after.cpuSeconds !== undefined ? after.cpuSeconds - before.cpuSeconds : undefined;
  return {
    rateBitsPerSec,
    goodputBitsPerSec: result.goodputBitsPerSec,
    goodputShare: result.goodputBitsPerSec / rateBitsPerSec,
    retransmits: result.retransmits,
    emulatorCpuPercent: cpu === undefined ? undefined : (100 * cpu * 1000) / wallMs,
  };
}

function directionOf(
  direction: Direction,
  model: LinkModel,
  phases: ProbePhases,
  goodput: GoodputMeasurement,
  counters: LinkCounters,
): DirectionMeasurement {
  const dirModel = model[direction];
  const configuredDelayMs = dirModel.delayMs + serialisationMs(PROBE_IP_BYTES, dirModel.rateBitsPerSec);
  const { run, arrivals } = phases.loss;
  const sentAt = new Map(run.sent);
  // Up: what reached the reflector of what was sent; down: what came back of what it echoed.
  const delays =
    direction === 'up'
      ? arrivals.map(([, seq, arrivedMs]) => arrivedMs - sentAt.get(seq)!)
      : run.echoes.map(([, , reflectedMs, echoedBackMs]) => echoedBackMs - reflectedMs);
  const loss = direction === 'up' ? measureLoss(run.sent.length, arrivals.length, dirModel) : measureLoss(arrivals.length, run.echoes.length, dirModel);

  const outage = phases.outage[direction];
  const outageSentAt = new Map(outage.run.sent);
  const outageSends = outage.arrivals.map(([, seq]) => outageSentAt.get(seq)!);
  return {
    direction,
    configuredDelayMs,
    oneWayDelayMs: quantiles(delays),
    loss,
    outage: outageResult(
      outageSends,
      outage.run.sent.map(([, sentMs]) => sentMs),
      phases.outageWindow.appliedMs + configuredDelayMs,
      phases.outageWindow,
    ),
    ...goodput,
    counters: counters[direction],
  };
}

export async function measureLink(opts: MeasureLinkOptions): Promise<LinkMeasurement> {
  const started = nowMs();
  const { control } = opts;
  const model = control.model;
  const log = opts.log ?? (() => {});
  const outageMs = opts.outageMs ?? scheduledOutageMs(model);

  log(`link ${model.name}: probing RTT, loss and a ${outageMs} ms outage`);
  const reverseEndpoints = { nsLocal: opts.nsRemote, nsRemote: opts.nsLocal, localAddr: opts.remoteAddr, remoteAddr: opts.localAddr };
  const sessions = await Promise.allSettled([startProbes(opts), startProbes(reverseEndpoints)]);
  let phases: ProbePhases;
  try {
    const [forward, reverse] = sessions.map((started) => {
      if (started.status === 'rejected') throw started.reason;
      return started.value;
    });
    phases = await runProbePhases(forward!, reverse!, opts, outageMs);
  } finally {
    await Promise.all(sessions.map((started) => (started.status === 'fulfilled' ? started.value.close() : undefined)));
  }

  const goodput: Partial<Record<Direction, GoodputMeasurement>> = {};
  for (const direction of ['up', 'down'] as const) {
    log(`link ${model.name}: TCP goodput ${direction}`);
    goodput[direction] = await goodputMeasurement(control, opts, direction, opts.goodputSeconds ?? 2);
  }
  const counters = await control.counters();

  const configured = baseRttMs(model) + serialisationMs(PROBE_IP_BYTES, model.up.rateBitsPerSec) + serialisationMs(PROBE_IP_BYTES, model.down.rateBitsPerSec);
  const rttQuantiles = quantiles(phases.rttsMs);
  return {
    name: model.name,
    backend: control.backend,
    model,
    rttMs: {
      ...rttQuantiles,
      configured,
      errorMs: rttQuantiles.median - configured,
      toleranceMs: 0.5 + 0.02 * configured,
    },
    outageAppliedMs: phases.outageWindow.appliedMs,
    up: directionOf('up', model, phases, goodput.up!, counters),
    down: directionOf('down', model, phases, goodput.down!, counters),
    cpuSeconds: counters.cpuSeconds,
    durationMs: nowMs() - started,
  };
}
