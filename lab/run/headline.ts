// The table printed at the end of a run: the headline metrics (rows) for each system
// (columns), median with its 95 % interval, the best in each row marked only when it
// is separable from the rest (lab/stats/separable.ts), then what a reader must know to
// trust it: the metrics that stayed imprecise, blocks flagged, where the time went.
import type { Results } from '../report/results.ts';
import { headlineColumns, type HeadlineColumn } from '../report/headline-columns.ts';
import type { SystemNameInScenario } from '../scenario/schema.ts';
import { bestOf } from '../stats/separable.ts';
import { MIN_REPS_FOR_INTERVAL, type Summary } from '../stats/summary.ts';
import { formatDuration } from './progress.ts';

/** Three significant digits, no exponent: 0.512, 45.2, 1234. */
function num(value: number): string {
  if (value === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return value.toFixed(Math.min(digits, 3));
}

const medianEstimate = (summary: Summary | undefined) => summary && { value: summary.p50, ci95: summary.ci95 };

/** A share: its mean and k of n; a latency: median [interval] (none from one repetition), and how many of its samples are censored (failed attempts at their timeout). */
function cell(summary: Summary | undefined, share: boolean, censored: number): string {
  if (!summary) return '-';
  if (share) return `${num(summary.mean)} (${Math.round(summary.mean * summary.n)}/${summary.n})`;
  const interval = summary.ci95 ? ` [${num(summary.ci95[0])}-${num(summary.ci95[1])}]` : '';
  return `${num(summary.p50)}${interval}${censored > 0 ? ` c${censored}` : ''}`;
}

export function formatHeadline(results: Results, runDir: string): string {
  const systems = results.run.systems;
  const summaryOf = (system: SystemNameInScenario, row: HeadlineColumn) => results.summary[system]?.[row.workload]?.[row.metric];
  const rows = headlineColumns(results.metrics).filter((row) => systems.some((s) => summaryOf(s, row)));
  const table: string[][] = [[results.run.repeat < MIN_REPS_FOR_INTERVAL ? 'metric (median)' : 'metric (median [95% CI])', ...systems]];
  for (const row of rows) {
    const better = results.metrics[row.metric]?.better ?? 'lower';
    // A share (0/1 per attempt or repetition) has no interval to separate by: no mark.
    const verdict = row.share ? { kind: 'none' as const } : bestOf(systems.map((s) => medianEstimate(summaryOf(s, row))), better);
    const mark = (i: number) => (verdict.kind === 'best' && verdict.index === i ? ' *' : verdict.kind === 'not-separable' && verdict.indices.includes(i) ? ' =' : '');
    const censored = (system: SystemNameInScenario) => results.samples.filter((s) => s.censored && s.system === system && s.workload === row.workload && s.metric === row.metric).length;
    const unit = results.metrics[row.metric]?.unit ?? '';
    table.push([
      `${row.workload}.${row.metric}${unit && !row.metric.endsWith(unit) ? ` (${unit})` : ''}`,
      ...systems.map((s, i) => `${cell(summaryOf(s, row), row.share !== undefined, censored(s))}${mark(i)}`),
    ]);
  }
  const widths = table[0]!.map((_, col) => Math.max(...table.map((r) => r[col]!.length)));
  const lines = table.map((r) => r.map((c, col) => (col === 0 ? c.padEnd(widths[col]!) : c.padStart(widths[col]!))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const cpu = results.runs.flatMap((r) => (r.probeCpu ? [r.probeCpu] : []));
  const busiest = (side: 'client' | 'server') => `${Math.round(100 * Math.max(0, ...cpu.map((c) => c[side])))} %`;
  const failed = results.runs.filter((r) => r.status === 'failed');
  // One line per system and reason, so a system that never started does not fill the screen.
  const byReason = new Map<string, string[]>();
  for (const r of failed) {
    const key = `${r.system}: ${r.error?.split('\n')[0] ?? 'failed'}`;
    byReason.set(key, [...(byReason.get(key) ?? []), `${r.workload} rep ${r.repetition}`]);
  }
  const failures = [...byReason].map(([key, runs]) => `  FAILED ${key.split(':')[0]} (${runs.join(', ')}):${key.slice(key.indexOf(':') + 1)}`);
  const { run } = results;
  const { timing } = run;
  const flagged = results.blocks.filter((b) => b.flags.length > 0);
  const worstLateness = Math.max(0, ...results.blocks.flatMap((b) => (b.health ? [b.health.worstLatenessP99Us] : [])));
  const precision = `±${Math.round(run.precision * 100)} %`;
  const labErrors = results.runs.flatMap((r) => r.labErrors.map((e) => `  LAB ERROR ${r.system} ${r.workload} rep ${r.repetition}: ${e}`));
  return [
    `${results.scenario.name}${run.quick ? ' (quick)' : ''}: ${run.repeat} repetition(s)${run.repeatPolicy.kind === 'auto' ? ` (repeat: auto: ${run.stopReason})` : ''}; * best, its interval clear of the others; = best median but not separable (intervals overlap); no interval and no mark from a single repetition (repetitions are an interval's unit); cN = N samples censored at their timeout (failed attempts); (k/n) = k of n attempts or repetitions`,
    ...lines,
    run.repeat < MIN_REPS_FOR_INTERVAL
      ? `one repetition: no intervals, so no precision either`
      : run.imprecise.length === 0
      ? `every headline metric within ${precision} of its median`
      : `imprecise (interval wider than ${precision} of the median): ${run.imprecise.map((m) => `${m.system} ${m.workload}.${m.metric} ±${Math.round(m.relativeHalfWidth * 100)} %`).join(', ')}`,
    `${formatDuration(timing.wallMs)} wall time, ${Math.round((100 * timing.inWorkloadsMs) / timing.wallMs)} % inside workloads (set-up ${formatDuration(timing.setupMs)}, quiet waits ${formatDuration(timing.quietWaitMs)}, teardown ${formatDuration(timing.teardownMs)})`,
    `probes at most ${busiest('client')} (client) and ${busiest('server')} (server) of one core while measuring; link emulator lateness p99 at most ${worstLateness} us in any block`,
    ...flagged.map((b) => `  FLAGGED ${b.system} ${b.phase === 'warmup' ? 'warm-up' : 'rep'} ${b.repetition}${b.attempt > 1 ? ` (attempt ${b.attempt})` : ''}: ${b.flags.join('; ')}`),
    ...(failed.length > 0 ? [`${failed.length} workload run(s) failed:`, ...failures] : []),
    ...(labErrors.length > 0 ? [`${labErrors.length} lab error(s) (not the systems'; not among the samples):`, ...labErrors] : []),
    `report: ${runDir}`,
  ].join('\n');
}

export function printHeadline(results: Results, runDir: string, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(`${formatHeadline(results, runDir)}\n`);
}
