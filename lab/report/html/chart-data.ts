// The data each chart of a run's report draws, derived from the run's samples and
// summaries (nothing here is measured anew). A chart whose data the run lacks gets a
// reason instead, shown in its place.
import type { RunView, TimelineRecord } from './run-view.ts';

export interface Point {
  x: number;
  y: number;
}

/** A median with its 95 % interval, as a bar with whiskers (none from a single repetition). */
export interface IntervalBar {
  p50: number;
  lo: number | null;
  hi: number | null;
}

export interface TimeWindow {
  from: number;
  to: number;
  label: string;
}

/** One link's failover window: the download of each system, the outage, and each fresh connection, ok or failed. */
export interface FailoverWindow {
  link: string;
  series: { system: string; points: Point[] }[];
  outage: TimeWindow;
  attempts: { system: string; ok: number[]; failed: number[] }[];
}

export interface ChartData {
  /** Censored points (attempts entered at their timeout) are drawn apart from the observed ones. */
  ttfbCdf?: { system: string; points: Point[]; censored: Point[] }[];
  latency?: { systems: string[]; idle: (IntervalBar | null)[]; loaded: (IntervalBar | null)[] };
  latencyOverTime?: { series: { system: string; points: Point[]; censored: Point[] }[]; loadWindows: TimeWindow[] };
  pageload?: { systems: string[]; idle: (IntervalBar | null)[]; loaded: (IntervalBar | null)[] };
  goodput?: { groups: string[]; series: { system: string; bars: (IntervalBar | null)[] }[]; reference: { index: number; value: number; label: string }[] };
  failover?: FailoverWindow[];
}

export type ChartId = keyof ChartData;

export interface ChartSet {
  data: ChartData;
  /** Why a chart is not drawn, for each chart that is not. */
  absent: Partial<Record<ChartId, string>>;
}

/** Failover timelines are in 50 ms bins; drawn summed to this, so the line shows goodput, not packet trains. */
const FAILOVER_DISPLAY_BIN_MS = 200;

function bar(view: RunView, system: string, workload: string, metric: string): IntervalBar | null {
  const s = view.summary({ system, workload, metric });
  return s ? { p50: s.p50, lo: s.ci95?.[0] ?? null, hi: s.ci95?.[1] ?? null } : null;
}

/** The first repetition a system has samples in: one run's trace per system keeps a time plot readable. */
function firstRepetition<T extends { repetition: number }>(items: T[]): T[] {
  const first = Math.min(...items.map((i) => i.repetition));
  return items.filter((i) => i.repetition === first);
}

function ttfbCdf(view: RunView): ChartData['ttfbCdf'] {
  const series = view.systems.flatMap((system) => {
    // Censored samples sort after observed ones of the same value: a timeout is "at least".
    const samples = view.samples({ system, workload: 'connect', metric: 'ttfb_ms' }).sort((a, b) => a.value - b.value || Number(a.censored) - Number(b.censored));
    if (!samples.length) return [];
    // Empirical CDF drawn as steps: 0 before the first sample, (i + 1) / n from sample i on.
    const points = samples.map((s, i) => ({ x: s.value, y: (i + 1) / samples.length }));
    return [{ system, points: [{ x: samples[0]!.value, y: 0 }, ...points], censored: points.filter((_, i) => samples[i]!.censored) }];
  });
  return series.length ? series : undefined;
}

/** Idle and loaded bars of one workload's pair of metrics, for the systems that have either. */
function idleLoaded(view: RunView, workload: string, idleMetric: string, loadedMetric: string) {
  const systems = view.systems.filter((system) => bar(view, system, workload, idleMetric) || bar(view, system, workload, loadedMetric));
  if (!systems.length) return undefined;
  return { systems, idle: systems.map((s) => bar(view, s, workload, idleMetric)), loaded: systems.map((s) => bar(view, s, workload, loadedMetric)) };
}

function latencyOverTime(view: RunView): ChartData['latencyOverTime'] {
  const loadWindows: TimeWindow[] = [];
  const series = view.systems.flatMap((system) => {
    const idle = view.samples({ system, workload: 'hol', metric: 'rtt_idle_ms' });
    const loaded = view.samples({ system, workload: 'hol', metric: 'rtt_loaded_ms' });
    const timed = firstRepetition([...idle, ...loaded].filter((s) => s.atMs !== null)).sort((a, b) => a.atMs! - b.atMs!);
    if (!timed.length) return [];
    const loadedAt = timed.filter((s) => loaded.includes(s)).map((s) => s.atMs! / 1000);
    if (loadedAt.length && !loadWindows.length) loadWindows.push({ from: Math.min(...loadedAt), to: Math.max(...loadedAt), label: 'under load (samples after the bulk downloads settled)' });
    const point = (s: (typeof timed)[number]) => ({ x: s.atMs! / 1000, y: s.value });
    return [{ system, points: timed.filter((s) => !s.censored).map(point), censored: timed.filter((s) => s.censored).map(point) }];
  });
  return series.length ? { series, loadWindows } : undefined;
}

function goodput(view: RunView): ChartData['goodput'] {
  const keys = view
    .metricsOf('throughput')
    .flatMap((key) => {
      const info = view.metric(key);
      return info?.base === 'goodput_mbps' && info.direction && info.flows ? [{ key, direction: info.direction, flows: info.flows }] : [];
    })
    .sort((a, b) => (a.direction === b.direction ? a.flows - b.flows : a.direction === 'down' ? -1 : 1));
  if (!keys.length) return undefined;
  const aggregateMbps = (direction: 'down' | 'up') => (view.links.a[direction].rateBitsPerSec + view.links.b[direction].rateBitsPerSec) / 1e6;
  return {
    groups: keys.map(({ direction, flows }) => `${direction} · ${flows} flow${flows === 1 ? '' : 's'}`),
    series: view.systems
      .map((system) => ({ system, bars: keys.map(({ key }) => bar(view, system, 'throughput', key)) }))
      .filter((s) => s.bars.some((b) => b !== null)),
    reference: keys.map(({ direction }, index) => {
      const value = aggregateMbps(direction);
      return { index, value, label: `rate A + B = ${value} Mbit/s` };
    }),
  };
}

/** Mbit/s per display bin from bytes per bin, over `durationMs` (bins end at the last byte received; the rest is zero). */
function mbpsPoints(timeline: TimelineRecord, durationMs: number): Point[] {
  const perDisplayBin = Math.max(1, Math.round(FAILOVER_DISPLAY_BIN_MS / timeline.binMs));
  const displayBinMs = perDisplayBin * timeline.binMs;
  const bins = Math.max(timeline.values.length, Math.ceil(durationMs / timeline.binMs));
  const points: Point[] = [];
  for (let i = 0; i < bins; i += perDisplayBin) {
    const bytes = timeline.values.slice(i, i + perDisplayBin).reduce((sum, b) => sum + b, 0);
    points.push({ x: (i * timeline.binMs) / 1000, y: (bytes * 8) / (displayBinMs * 1000) });
  }
  // Drawn as steps from each bin's start: the last bin needs its end too.
  const last = points[points.length - 1];
  if (last) points.push({ x: (bins * timeline.binMs) / 1000, y: last.y });
  return points;
}

/** One chart per link that went down (the first repetition of each system), in the order the scenario names them. */
function failover(view: RunView): ChartData['failover'] {
  const scenario = view.results.scenario.workloads.failover;
  // Runs recorded before failover had one window per link carry no `links`: no timeline to draw.
  if (!scenario?.links) return undefined;
  const windowMs = scenario.before + scenario.outage + scenario.after;
  const windows = scenario.links.flatMap((link): FailoverWindow[] => {
    const timelines = view.systems.flatMap((system) => {
      const timeline = firstRepetition(view.timelines(system, 'failover').filter((t) => t.name === `received_bytes_link_${link}`))[0];
      return timeline ? [{ system, timeline }] : [];
    });
    const event = timelines[0]?.timeline.events.find((e) => e.kind === 'outage');
    if (!event) return [];
    return [
      {
        link,
        series: timelines.map(({ system, timeline }) => ({ system, points: mbpsPoints(timeline, windowMs) })),
        outage: { from: event.startMs / 1000, to: (event.endMs ?? windowMs) / 1000, label: `link ${link} down` },
        attempts: timelines.map(({ system, timeline }) => ({
          system,
          ok: (timeline.attempts ?? []).filter((a) => a.ok).map((a) => a.atMs / 1000),
          failed: (timeline.attempts ?? []).filter((a) => !a.ok).map((a) => a.atMs / 1000),
        })),
      },
    ];
  });
  return windows.length ? windows : undefined;
}

const NOT_RUN: Record<ChartId, string> = {
  ttfbCdf: 'No connect samples in this run: the connect workload was not run (or no connection succeeded).',
  latency: 'No hol samples in this run: the head-of-line (latency under load) workload was not run.',
  latencyOverTime: 'No timed hol samples in this run: the head-of-line workload was not run.',
  pageload: 'No pageload samples in this run: the page load workload was not run.',
  goodput: 'No throughput samples in this run: the throughput workload was not run.',
  failover: 'No failover timeline in this run: the failover workload was not run.',
};

export function chartSet(view: RunView): ChartSet {
  const data: ChartData = {
    ttfbCdf: ttfbCdf(view),
    latency: idleLoaded(view, 'hol', 'rtt_idle_ms', 'rtt_loaded_ms'),
    latencyOverTime: latencyOverTime(view),
    pageload: idleLoaded(view, 'pageload', 'page_load_ms', 'page_load_loaded_ms'),
    goodput: goodput(view),
    failover: failover(view),
  };
  const absent: ChartSet['absent'] = {};
  for (const id of Object.keys(NOT_RUN) as ChartId[]) if (!data[id]) absent[id] = NOT_RUN[id];
  return { data, absent };
}
