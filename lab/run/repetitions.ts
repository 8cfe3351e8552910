// How many repetitions a run makes. `repeat: N` makes N. `repeat: auto` makes at least
// MIN_AUTO_REPETITIONS, then one more while some headline metric of some system is
// imprecise (its 95 % interval's half-width above `precision` x its median) and the
// budget leaves room for another repetition as long as the ones so far took.
import { headlineColumns } from '../report/headline-columns.ts';
import type { Results, SummaryTable } from '../report/results.ts';
import { MAX_REPETITIONS, MIN_AUTO_REPETITIONS, type Scenario, type SystemNameInScenario, type WorkloadName } from '../scenario/schema.ts';
import { relativeHalfWidth, type Summary } from '../stats/summary.ts';

export type RepeatPolicy = { kind: 'fixed'; repetitions: number } | { kind: 'auto'; precision: number; budgetMs: number };

export function repeatPolicy(scenario: Scenario): RepeatPolicy {
  return scenario.repeat === 'auto' ? { kind: 'auto', precision: scenario.precision, budgetMs: scenario.budget } : { kind: 'fixed', repetitions: scenario.repeat };
}

export interface ImpreciseMetric {
  system: SystemNameInScenario;
  workload: WorkloadName;
  metric: string;
  /** Half the interval's width over the median (0.15: median ± 15 %). */
  relativeHalfWidth: number;
  n: number;
  reps: number;
}

/** Headline metrics (not the 0/1 shares, which have no interval; nor those from one repetition) whose interval is wider than `precision` around the median. */
export function impreciseMetrics(summary: SummaryTable, metrics: Results['metrics'], systems: readonly SystemNameInScenario[], precision: number): ImpreciseMetric[] {
  const found: ImpreciseMetric[] = [];
  for (const column of headlineColumns(metrics).filter((c) => !c.share)) {
    for (const system of systems) {
      const s: Summary | undefined = summary[system]?.[column.workload]?.[column.metric];
      if (!s) continue;
      const width = relativeHalfWidth(s);
      if (width !== null && width > precision) found.push({ system, workload: column.workload, metric: column.metric, relativeHalfWidth: width, n: s.n, reps: s.reps });
    }
  }
  return found;
}

export interface RepetitionsSoFar {
  /** Wall time of each repetition done (all its blocks, reruns included). */
  durationsMs: number[];
  elapsedMs: number;
  imprecise: ImpreciseMetric[];
}

export type Decision = { more: boolean; reason: string };

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

export function nextRepetition(policy: RepeatPolicy, state: RepetitionsSoFar): Decision {
  const done = state.durationsMs.length;
  if (policy.kind === 'fixed') return { more: done < policy.repetitions, reason: `repeat: ${policy.repetitions}` };
  if (done < MIN_AUTO_REPETITIONS) return { more: true, reason: `repeat: auto runs at least ${MIN_AUTO_REPETITIONS} repetitions` };
  const target = `${Math.round(policy.precision * 100)} %`;
  if (state.imprecise.length === 0) return { more: false, reason: `every headline metric is within ±${target} of its median` };
  const imprecise = `${state.imprecise.length} headline metric(s) wider than ±${target}`;
  if (done >= MAX_REPETITIONS) return { more: false, reason: `${imprecise}, but ${MAX_REPETITIONS} repetitions is the most a run makes` };
  const nextMs = state.durationsMs.reduce((a, b) => a + b, 0) / done;
  if (state.elapsedMs + nextMs > policy.budgetMs) {
    return { more: false, reason: `${imprecise}, but another repetition (~${seconds(nextMs)}) would end after the budget (${seconds(policy.budgetMs)}; ${seconds(state.elapsedMs)} spent)` };
  }
  return { more: true, reason: `${imprecise}; another repetition (~${seconds(nextMs)}) fits the budget` };
}
