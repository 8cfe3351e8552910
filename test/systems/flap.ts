// The flap soak's schedule and figures: many outages of one link, each as long as the
// last, separated by seeded random gaps; and what downloads did across them (goodput
// inside and between the outages, their stalls, where one that broke broke),
// and how fast mprelay's local took the link's endpoint off and put it back.
import { quantile } from 'simple-statistics';
import type { ScheduleEvent } from '../../lab/links/model.ts';
import { seededRandom } from '../../lab/stats/random.ts';
import { stall } from '../../lab/workloads/failover-figures.ts';
import type { FlowReport } from '../../lab/workloads/probe/flows.ts';
import type { PlayedEvent } from '../../lab/workloads/schedule.ts';

export interface FlapPlan {
  outages: number;
  outageMs: number;
  /** Each gap between two outages is uniform in [gapMinMs, gapMaxMs]. */
  gapMinMs: number;
  gapMaxMs: number;
  /** Before the first outage: the downloads get going. */
  leadMs: number;
}

export function flapSchedule(seed: number, plan: FlapPlan): ScheduleEvent[] {
  const random = seededRandom(seed);
  const events: ScheduleEvent[] = [];
  for (let i = 0, atMs = plan.leadMs; i < plan.outages; i++) {
    events.push({ atMs, action: { kind: 'outage', durationMs: plan.outageMs } });
    atMs += plan.outageMs + Math.round(plan.gapMinMs + random() * (plan.gapMaxMs - plan.gapMinMs));
  }
  return events;
}

/** ms after the downloads' reference time: [startMs, endMs). */
export interface Span {
  startMs: number;
  endMs: number;
}

/** The outages as they were really played (each one's end known), ms after `refMs`. */
export function playedOutages(played: readonly PlayedEvent[], refMs: number): Span[] {
  return played.flatMap((e) => (e.kind === 'outage' && e.endMs !== null ? [{ startMs: e.startMs - refMs, endMs: e.endMs - refMs }] : []));
}

/** The times between consecutive outages. */
export function betweenOutages(outages: readonly Span[]): Span[] {
  return outages.slice(1).map((next, i) => ({ startMs: outages[i]!.endMs, endMs: next.startMs }));
}

/** Bytes of `flow` in its bins that lie wholly inside `span`, and how long those bins last. */
function binsWithin(flow: FlowReport, span: Span): { bytes: number; ms: number } {
  const first = Math.ceil(span.startMs / flow.binMs);
  const end = Math.floor(span.endMs / flow.binMs);
  let bytes = 0;
  for (let i = first; i < end; i++) bytes += flow.bins[i] ?? 0;
  return { bytes, ms: Math.max(0, end - first) * flow.binMs };
}

const mbps = (bytes: number, ms: number) => (ms > 0 ? (bytes * 8) / (ms * 1000) : NaN);

/** The flows' goodput together (Mbit/s) in the bins wholly inside `spans`, and the seconds those cover. */
export function goodputIn(flows: readonly FlowReport[], spans: readonly Span[]): { mbps: number; seconds: number } {
  let bytes = 0;
  let ms = 0;
  for (const span of spans) {
    for (const flow of flows) bytes += binsWithin(flow, span).bytes;
    ms += flows[0] ? binsWithin(flows[0], span).ms : 0;
  }
  return { mbps: mbps(bytes, ms), seconds: ms / 1000 };
}

export interface FlowFigures {
  bytes: number;
  /** The longest time without a byte (ms after the reference time). */
  longestGap: Span | null;
  /** Times between outages in which the flow got no byte at all. */
  silentBetweenOutages: number;
  /** Bytes in the last `lastMs` before the end. */
  bytesAtEnd: number;
}

export function flowFigures(flow: FlowReport, outages: readonly Span[], endMs: number, lastMs: number): FlowFigures {
  const longest = flow.gaps.reduce<FlowReport['gaps'][number] | null>((a, g) => (a === null || g.endMs - g.startMs > a.endMs - a.startMs ? g : a), null);
  return {
    bytes: flow.bytes,
    longestGap: longest,
    silentBetweenOutages: betweenOutages(outages).filter((span) => binsWithin(flow, span).ms > 0 && binsWithin(flow, span).bytes === 0).length,
    bytesAtEnd: binsWithin(flow, { startMs: endMs - lastMs, endMs }).bytes,
  };
}

/** Where `atMs` falls: inside outage k (1-based) or how long after it ended. */
export function whereInFlaps(outages: readonly Span[], atMs: number): string {
  const k = outages.filter((o) => o.startMs <= atMs).length - 1;
  if (k < 0) return `${Math.round(atMs)} ms after the start, before the first outage`;
  const o = outages[k]!;
  return atMs < o.endMs ? `${Math.round(atMs - o.startMs)} ms into outage ${k + 1}` : `${Math.round(atMs - o.endMs)} ms after outage ${k + 1} ended`;
}

/** The flow's stall across each outage: the lab's stall_ms (the longest gap overlapping it, failover-figures.ts). */
export function stallsMs(flow: FlowReport, refMs: number, outages: readonly Span[], endMs: number): number[] {
  const series = { bins: flow.bins, gaps: flow.gaps, firstMs: flow.firstMs === null ? null : flow.firstMs - refMs, endMs };
  return outages.map((o) => stall(series, { downMs: o.startMs, upMs: o.endMs }).value);
}

/** When the local logged taking a link's endpoint off and restoring it (ms after the reference time). */
export interface EndpointChanges {
  offMs: number[];
  onMs: number[];
}

/** From mprelay local's JSON log: its endpoint changes for `link`, on the reference clock (`wallAtRefMs` = Date.now() at the reference time). */
export function endpointChanges(log: string, link: string, wallAtRefMs: number): EndpointChanges {
  const changes: EndpointChanges = { offMs: [], onMs: [] };
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { time?: string; msg?: string; link?: string };
    if (entry.link !== link || !entry.time) continue;
    const atMs = Date.parse(entry.time) - wallAtRefMs;
    if (entry.msg === 'link endpoint taken off') changes.offMs.push(atMs);
    else if (entry.msg === 'link endpoint restored') changes.onMs.push(atMs);
  }
  return changes;
}

export interface Reaction {
  /** Outages with a change inside their window. */
  reacted: number;
  p50Ms: number;
  maxMs: number;
}

const reaction = (delaysMs: readonly number[]): Reaction => ({
  reacted: delaysMs.length,
  p50Ms: delaysMs.length ? Math.round(quantile([...delaysMs], 0.5)) : NaN,
  maxMs: delaysMs.length ? Math.round(Math.max(...delaysMs)) : NaN,
});

/**
 * Per outage: the first endpoint removal after it began (and before the next outage),
 * timed from its start; and the first restore after it ended (before the next one),
 * timed from its end.
 */
export function endpointReactions(outages: readonly Span[], changes: EndpointChanges): { off: Reaction; on: Reaction } {
  const firstIn = (times: readonly number[], from: number, to: number) => times.find((t) => t >= from && t < to);
  const off: number[] = [];
  const on: number[] = [];
  outages.forEach((o, i) => {
    const nextMs = outages[i + 1]?.startMs ?? Number.POSITIVE_INFINITY;
    const offAt = firstIn(changes.offMs, o.startMs, nextMs);
    const onAt = firstIn(changes.onMs, o.endMs, nextMs);
    if (offAt !== undefined) off.push(offAt - o.startMs);
    if (onAt !== undefined) on.push(onAt - o.endMs);
  });
  return { off: reaction(off), on: reaction(on) };
}
