// Evaluate a scenario's gate rules on a run's samples. Each rule is judged on the
// bootstrap 95 % interval (clustered by repetition) of its quantity (lhs / rhs for a metric on the right, lhs for
// a constant): it fails only when the whole interval is on the wrong side of the
// threshold, passes when the whole interval is on the right side, and is inconclusive
// when the interval straddles it or a side has too few samples for its statistic
// (p95 below 20): reported, and failed only by `--strict`.
import { bootstrapCi95 } from '../stats/bootstrap.ts';
import { hasEnoughSamples, MIN_SAMPLES, statistic } from '../stats/statistic.ts';
import { MIN_REPS_FOR_INTERVAL, repetitionsWithSamples } from '../stats/summary.ts';
import { formatRef, type MetricRef, type Rule } from './rules.ts';
import type { RunView } from '../report/html/run-view.ts';

export type RuleVerdict = 'pass' | 'fail' | 'inconclusive';

export interface SideValue {
  ref: MetricRef;
  unit: string;
  value: number;
  n: number;
}

export interface RuleResult {
  rule: Rule;
  lhs: SideValue;
  rhs?: SideValue;
  /** lhs / rhs (metric on the right) or lhs (constant), with its interval, against `threshold`. */
  quantity: number;
  quantityCi95: [number, number];
  threshold: number;
  verdict: RuleVerdict;
  /** Why a rule has no number: a side has no samples in this run (fail), or too few for its statistic (inconclusive). */
  reason?: string;
}

/** A rule that names something this run did not include: the rule or the run is wrong. */
export class RuleInputError extends Error {
  override name = 'RuleInputError';
}

function holds(op: Rule['op'], value: number, threshold: number): boolean {
  switch (op) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
  }
}

function verdictOf(op: Rule['op'], [lo, hi]: [number, number], threshold: number): RuleVerdict {
  const holding = [holds(op, lo, threshold), holds(op, hi, threshold)].filter(Boolean).length;
  return holding === 2 ? 'pass' : holding === 0 ? 'fail' : 'inconclusive';
}

function samplesOf(run: RunView, rule: Rule, ref: MetricRef): readonly number[] {
  if (!run.ran(ref)) throw new RuleInputError(`gate rule ${JSON.stringify(rule.text)} names ${formatRef(ref)}, but ${run.label} did not run ${ref.system} × ${ref.workload}`);
  return run.values(ref);
}

const unitOf = (run: RunView, ref: MetricRef) => run.metric(ref.metric)?.unit ?? '';

export function checkRule(run: RunView, rule: Rule): RuleResult {
  const lhsSamples = samplesOf(run, rule, rule.lhs);
  const rhsSamples = rule.rhs.kind === 'metric' ? samplesOf(run, rule, rule.rhs.ref) : undefined;
  const threshold = rule.rhs.kind === 'metric' ? rule.rhs.factor : rule.rhs.value;
  const empty = [
    ...(lhsSamples.length === 0 ? [rule.lhs] : []),
    ...(rule.rhs.kind === 'metric' && rhsSamples?.length === 0 ? [rule.rhs.ref] : []),
  ];
  const unjudged = (verdict: RuleVerdict, reason: string): RuleResult => ({
    rule,
    lhs: { ref: rule.lhs, unit: unitOf(run, rule.lhs), value: Number.NaN, n: lhsSamples.length },
    quantity: Number.NaN,
    quantityCi95: [Number.NaN, Number.NaN],
    threshold,
    verdict,
    reason,
  });
  if (empty.length > 0) return unjudged('fail', `no samples for ${empty.map(formatRef).join(', ')} (the system failed in every repetition?)`);
  const sides = [
    { ref: rule.lhs, n: lhsSamples.length },
    ...(rule.rhs.kind === 'metric' ? [{ ref: rule.rhs.ref, n: rhsSamples?.length ?? 0 }] : []),
  ];
  const short = sides.filter((side) => !hasEnoughSamples(side.ref.stat, side.n));
  if (short.length > 0) {
    return unjudged('inconclusive', `too few samples: ${short.map((side) => `${formatRef(side.ref)} has ${side.n}, ${side.ref.stat} needs ${MIN_SAMPLES[side.ref.stat]}`).join('; ')}`);
  }
  const single = sides.filter((side) => repetitionsWithSamples(run.valuesByRepetition(side.ref)) < MIN_REPS_FOR_INTERVAL);
  if (single.length > 0) {
    return unjudged('inconclusive', `one repetition: ${single.map((side) => formatRef(side.ref)).join(', ')} has no interval (repetitions are its unit; run at least ${MIN_REPS_FOR_INTERVAL})`);
  }
  const lhsStat = (values: readonly number[]) => statistic(rule.lhs.stat, values);
  const lhs: SideValue = { ref: rule.lhs, unit: unitOf(run, rule.lhs), value: lhsStat(lhsSamples), n: lhsSamples.length };
  let rhs: SideValue | undefined;
  let quantity: number;
  let quantityCi95: [number, number];
  if (rule.rhs.kind === 'metric' && rhsSamples) {
    const ref = rule.rhs.ref;
    const rhsStat = (values: readonly number[]) => statistic(ref.stat, values);
    rhs = { ref, unit: unitOf(run, ref), value: rhsStat(rhsSamples), n: rhsSamples.length };
    quantity = lhs.value / rhs.value;
    quantityCi95 = bootstrapCi95([run.valuesByRepetition(rule.lhs), run.valuesByRepetition(ref)], ([l, r]) => lhsStat(l!) / rhsStat(r!));
  } else {
    quantity = lhs.value;
    quantityCi95 = bootstrapCi95([run.valuesByRepetition(rule.lhs)], ([l]) => lhsStat(l!));
  }
  return { rule, lhs, ...(rhs && { rhs }), quantity, quantityCi95, threshold, verdict: verdictOf(rule.op, quantityCi95, threshold) };
}
