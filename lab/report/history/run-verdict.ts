// The gate's verdict of one run, for the reports index: the scenario's rules and the
// comparison with the run's baseline, computed by the gate's own code (lab/gate) and
// kept compact: one mark per system × workload × metric (what the chart draws on that
// point) with the gate's words for it, and the lines that decided the run.
import { z } from 'zod';
import { compareWithBaseline, type ComparisonVerdict, type MetricComparison, type MissingWorkload } from '../../gate/baseline.ts';
import { checkRule, RuleInputError, type RuleResult, type RuleVerdict } from '../../gate/check-rules.ts';
import { parseRule, RuleError } from '../../gate/rules.ts';
import { changeInterval, exitCode, type GateVerdict } from '../../gate/verdict.ts';
import { formatInterval, formatNumber, formatPercent, formatSigned, formatValue } from '../html/format.ts';
import type { MetricKey, RunView } from '../html/run-view.ts';

export const MARKS = ['regression', 'improvement', 'inconclusive', 'ok'] as const;
export type Mark = (typeof MARKS)[number];

/** What the run was compared with: the committed baseline file, the previous run of its series, or nothing. */
export const baselineRefSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('committed'), file: z.string() }),
  z.strictObject({ kind: z.literal('previous'), runId: z.string() }),
  z.strictObject({ kind: z.literal('none') }),
]);
export type BaselineRef = z.infer<typeof baselineRefSchema>;

/** The baseline in words, for the page and the CSV. */
export function baselineText(ref: BaselineRef): string {
  switch (ref.kind) {
    case 'committed':
      return ref.file;
    case 'previous':
      return `previous run of the series: ${ref.runId}`;
    case 'none':
      return 'none (first run of its series)';
  }
}

const noteSchema = z.strictObject({ mark: z.enum(MARKS), text: z.string() });
/** The mark drawn on a point (the weightiest of its notes), and every decision of the gate about it. */
export const pointVerdictSchema = z.strictObject({ mark: z.enum(MARKS), notes: z.array(noteSchema) });
export type PointVerdict = z.infer<typeof pointVerdictSchema>;

export const runVerdictSchema = z.strictObject({
  baseline: baselineRefSchema,
  /** What `mplab gate` would exit with: 0 ok, 1 regression, 2 bad input. */
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  /** Why the gate could not judge part of the run (a rule that does not parse or names what the run did not run). */
  inputErrors: z.array(z.string()),
  /** The comparison in one line: how many metrics, how many regressed, improved... */
  overview: z.string(),
  /** What decided: failed rules, regressed metrics, workloads failed in every repetition; then improvements and inconclusive rules. */
  decided: z.array(noteSchema),
  /** points[system][workload][metric] */
  points: z.record(z.string(), z.record(z.string(), z.record(z.string(), pointVerdictSchema))),
});
export type RunVerdict = z.infer<typeof runVerdictSchema>;

const COMPARISON: Record<ComparisonVerdict, { mark: Mark; words: string }> = {
  regression: { mark: 'regression', words: 'REGRESSION' },
  improvement: { mark: 'improvement', words: 'improved' },
  'within-noise': { mark: 'ok', words: 'changed within the noise floor' },
  unchanged: { mark: 'ok', words: 'no change' },
  'too-few-samples': { mark: 'inconclusive', words: 'too few samples to judge' },
  'one-repetition': { mark: 'inconclusive', words: 'one repetition: no interval to judge by' },
};
const RULE: Record<RuleVerdict, Mark> = { fail: 'regression', pass: 'ok', inconclusive: 'inconclusive' };
/** When several decisions fall on one point, the chart shows the first of these. */
const PRECEDENCE: Mark[] = ['regression', 'improvement', 'inconclusive', 'ok'];

const keyText = (k: MetricKey) => `${k.system} ${k.workload} ${k.metric}`;

function comparisonNote(c: MetricComparison): string {
  const u = c.unit;
  return (
    `${COMPARISON[c.verdict].words} vs baseline: ${c.policy.stat} ${formatValue(c.baseline.value, u)} (n=${c.baseline.n}) → ${formatValue(c.now.value, u)} (n=${c.now.n}), ` +
    `${formatSigned(c.change, u)} (${formatPercent(c.change / c.baseline.value)}), 95 % interval ${changeInterval(c)}, noise floor ${formatValue(c.floor, u)}, p(worse)=${formatNumber(c.pWorse)}`
  );
}

function ruleNote(r: RuleResult): string {
  const quantity = r.reason ?? `${r.rhs ? 'ratio' : 'value'} ${formatNumber(r.quantity)}, 95 % interval ${formatInterval(r.quantityCi95, '')}, required ${r.rule.op} ${formatNumber(r.threshold)}`;
  return `rule ${r.verdict}: ${r.rule.text}: ${quantity}`;
}

function missingNote(m: MissingWorkload): string {
  return `REGRESSION: no samples for any metric of ${m.system} ${m.workload} (baseline: ${m.baselineN}): failed in every repetition${m.errors.length ? `: ${m.errors.join('; ')}` : ''}`;
}

class Points {
  readonly table: RunVerdict['points'] = {};
  add(key: MetricKey, mark: Mark, text: string): void {
    const byMetric = ((this.table[key.system] ??= {})[key.workload] ??= {});
    const point = (byMetric[key.metric] ??= { mark, notes: [] });
    if (PRECEDENCE.indexOf(mark) < PRECEDENCE.indexOf(point.mark)) point.mark = mark;
    point.notes.push({ mark, text });
  }
}

/** The rules of the run's scenario, each checked by the gate; a rule the gate cannot check is an input error. */
function checkRules(now: RunView): { results: RuleResult[]; inputErrors: string[] } {
  const results: RuleResult[] = [];
  const inputErrors: string[] = [];
  for (const text of now.results.scenario.gate.rules) {
    try {
      results.push(checkRule(now, parseRule(text)));
    } catch (error) {
      if (!(error instanceof RuleError || error instanceof RuleInputError)) throw error;
      inputErrors.push(error.message);
    }
  }
  return { results, inputErrors };
}

export interface Baseline {
  ref: BaselineRef;
  view: RunView;
}

export function runVerdict(now: RunView, baseline: Baseline | undefined): RunVerdict {
  const { results: rules, inputErrors } = checkRules(now);
  const gate: GateVerdict = { run: now.label, strict: false, failedRuns: now.results.runs.filter((r) => r.status === 'failed').map((r) => `${r.system} × ${r.workload}`), rules };
  if (baseline && baseline.view.scenarioName !== now.scenarioName) {
    inputErrors.push(`the baseline ${baseline.view.label} is a run of scenario ${baseline.view.scenarioName}, the run is of ${now.scenarioName}`);
  } else if (baseline) {
    gate.baseline = { label: baseline.view.label, comparison: compareWithBaseline(now, baseline.view) };
  }
  const points = new Points();
  const decided: RunVerdict['decided'] = [];
  for (const r of rules) {
    points.add(r.rule.lhs, RULE[r.verdict], ruleNote(r));
    if (r.verdict !== 'pass') decided.push({ mark: RULE[r.verdict], text: ruleNote(r) });
  }
  const comparison = gate.baseline?.comparison;
  for (const c of comparison?.comparisons ?? []) {
    const { mark } = COMPARISON[c.verdict];
    points.add(c.key, mark, comparisonNote(c));
    if (mark === 'regression' || mark === 'improvement') decided.push({ mark, text: `${keyText(c.key)}: ${comparisonNote(c)}` });
  }
  for (const m of comparison?.missing ?? []) {
    const metrics = new Set(baseline!.view.keys().filter((k) => k.system === m.system && k.workload === m.workload).map((k) => k.metric));
    for (const metric of metrics) points.add({ system: m.system, workload: m.workload, metric }, 'regression', missingNote(m));
    decided.push({ mark: 'regression', text: missingNote(m) });
  }
  decided.sort((a, b) => PRECEDENCE.indexOf(a.mark) - PRECEDENCE.indexOf(b.mark));
  const count = (v: ComparisonVerdict) => comparison?.comparisons.filter((c) => c.verdict === v).length ?? 0;
  const overview = [
    `${rules.length} rule${rules.length === 1 ? '' : 's'}: ${rules.filter((r) => r.verdict === 'fail').length} failed, ${rules.filter((r) => r.verdict === 'inconclusive').length} inconclusive`,
    comparison
      ? `${comparison.comparisons.length} metrics compared: ${count('regression')} regressed, ${count('improvement')} improved, ${count('too-few-samples')} with too few samples to judge` +
        (count('one-repetition') ? `, ${count('one-repetition')} not judged: one repetition` : '')
      : 'no baseline comparison',
    ...(gate.failedRuns.length ? [`${gate.failedRuns.length} workload run(s) failed`] : []),
  ].join('; ');
  return { baseline: baseline?.ref ?? { kind: 'none' }, exitCode: inputErrors.length ? 2 : exitCode(gate), inputErrors, overview, decided, points: points.table };
}
