// The gate's verdict and its two renderings: plain text for the terminal, Markdown for
// a CI job summary. Both say which rule or metric failed, baseline vs now, and the
// interval. Strict (CI): what the gate could not decide fails too: an inconclusive rule,
// a metric with too few samples for the rank test, a metric without samples now.
import { formatInterval, formatNumber, formatPercent, formatSigned, formatValue } from '../report/html/format.ts';
import { REGRESSION_ALPHA, type BaselineComparison, type MetricComparison, type MissingWorkload, type SkippedMetric } from './baseline.ts';
import type { RuleResult } from './check-rules.ts';
import { formatRef } from './rules.ts';
import { MIN_REPS_FOR_INTERVAL } from '../stats/summary.ts';
import type { MetricKey } from '../report/html/run-view.ts';

export interface GateVerdict {
  run: string;
  /** Undecided rules and metrics fail too (see `undecided`). */
  strict: boolean;
  /** Workload runs that failed in the run (reported; a regression only if the baseline comparison finds one). */
  failedRuns: string[];
  rules: RuleResult[];
  baseline?: { label: string; comparison: BaselineComparison };
}

export function regressions(verdict: GateVerdict): { rules: RuleResult[]; metrics: MetricComparison[]; missing: MissingWorkload[] } {
  return {
    rules: verdict.rules.filter((r) => r.verdict === 'fail'),
    metrics: verdict.baseline?.comparison.comparisons.filter((c) => c.verdict === 'regression') ?? [],
    missing: verdict.baseline?.comparison.missing ?? [],
  };
}

/** What the gate could not decide: inconclusive rules, metrics with too few samples or from one repetition, metrics without samples now. */
export function undecided(verdict: GateVerdict): { rules: RuleResult[]; metrics: MetricComparison[]; unsampled: SkippedMetric[] } {
  return {
    rules: verdict.rules.filter((r) => r.verdict === 'inconclusive'),
    metrics: verdict.baseline?.comparison.comparisons.filter((c) => c.verdict === 'too-few-samples' || c.verdict === 'one-repetition') ?? [],
    unsampled: verdict.baseline?.comparison.skipped.filter((s) => s.kind === 'no-samples') ?? [],
  };
}

/** Under `--strict`, what was left undecided, said in a few words; undefined when nothing was (or not strict). */
function strictFailure(verdict: GateVerdict): string | undefined {
  if (!verdict.strict) return undefined;
  const left = undecided(verdict);
  const parts = [
    ...(left.rules.length ? [`${left.rules.length} inconclusive rule(s)`] : []),
    ...(left.metrics.length ? [`${left.metrics.length} metric(s) with too few samples or from one repetition`] : []),
    ...(left.unsampled.length ? [`${left.unsampled.length} metric(s) without samples`] : []),
  ];
  return parts.length ? parts.join(', ') : undefined;
}

function regressed(verdict: GateVerdict): boolean {
  const found = regressions(verdict);
  return found.rules.length + found.metrics.length + found.missing.length > 0;
}

/**
 * 1 when any rule failed, any metric regressed, or a system failed a workload in every
 * repetition, and (strict) when anything was left undecided; else 0.
 */
export function exitCode(verdict: GateVerdict): 0 | 1 {
  return regressed(verdict) || strictFailure(verdict) !== undefined ? 1 : 0;
}

/** The verdict in one line. */
function verdictLine(verdict: GateVerdict): string {
  if (regressed(verdict)) return 'REGRESSION';
  const strict = strictFailure(verdict);
  return strict ? `UNDECIDED (strict: ${strict})` : `ok${verdict.strict ? ' (strict)' : ''}`;
}

const keyText = (key: MetricKey) => `${key.system} ${key.workload} ${key.metric}`;

function ruleDetail(r: RuleResult): string {
  if (r.reason) return r.reason;
  const lhs = `${formatRef(r.lhs.ref)} = ${formatValue(r.lhs.value, r.lhs.unit)} (n=${r.lhs.n})`;
  const rhs = r.rhs ? `, ${formatRef(r.rhs.ref)} = ${formatValue(r.rhs.value, r.rhs.unit)} (n=${r.rhs.n})` : '';
  const quantity = r.rhs ? 'ratio' : 'value';
  const unit = r.rhs ? '' : r.lhs.unit;
  return `${lhs}${rhs}; ${quantity} ${formatValue(r.quantity, unit)}, 95 % interval ${formatInterval(r.quantityCi95, unit)}, required ${r.rule.op} ${formatNumber(r.threshold)}`;
}

/** The change's 95 % interval, or why there is none. */
export const changeInterval = (c: MetricComparison) => (c.changeCi95 ? formatInterval(c.changeCi95, c.unit) : 'none needed (the rank test finds no change)');

function comparisonDetail(c: MetricComparison): string {
  const m = c.unit;
  const relative = c.change / c.baseline.value;
  return (
    `${c.policy.stat} baseline ${formatValue(c.baseline.value, m)} (n=${c.baseline.n}) -> now ${formatValue(c.now.value, m)} (n=${c.now.n}): ` +
    `${formatSigned(c.change, m)} (${formatPercent(relative)}), 95 % interval ${changeInterval(c)}, ` +
    `noise floor ${formatValue(c.floor, m)}, p(worse)=${formatNumber(c.pWorse)}`
  );
}

function missingText(m: MissingWorkload): string {
  return `${m.system} ${m.workload}: no samples in this run, for any metric (baseline: ${m.baselineN}): failed in every repetition${m.errors.length ? `: ${m.errors.join('; ')}` : ''}`;
}

const VERDICT_LABEL: Record<MetricComparison['verdict'], string> = {
  regression: 'REGRESSION',
  improvement: 'improved',
  'within-noise': 'changed, within noise floor',
  unchanged: 'no change',
  'too-few-samples': `too few samples to judge (p < ${REGRESSION_ALPHA} impossible)`,
  'one-repetition': 'one repetition: no interval to judge by',
};

export function renderText(verdict: GateVerdict): string {
  const lines = [`mplab gate: ${verdict.run}`];
  if (verdict.failedRuns.length > 0) lines.push(`failed during the run (${verdict.failedRuns.length}):`, ...verdict.failedRuns.map((f) => `  ${f}`));
  if (verdict.rules.length > 0) {
    lines.push(`rules (${verdict.rules.length}):`);
    for (const r of verdict.rules) lines.push(`  ${r.verdict.toUpperCase().padEnd(12)} ${r.rule.text}`, `               ${ruleDetail(r)}`);
  }
  if (verdict.baseline) {
    const { comparison, label } = verdict.baseline;
    const count = (v: MetricComparison['verdict']) => comparison.comparisons.filter((c) => c.verdict === v).length;
    lines.push(
      `baseline ${label}: ${comparison.comparisons.length} metrics compared: ${count('regression')} regressed, ${count('improvement')} improved, ` +
        `${count('within-noise')} changed within the noise floor, ${count('unchanged')} unchanged, ${count('too-few-samples')} with too few samples to judge` +
        (count('one-repetition') ? `, ${count('one-repetition')} not judged: one repetition` : ''),
    );
    for (const c of comparison.comparisons.filter((c) => c.verdict === 'regression' || c.verdict === 'improvement')) {
      lines.push(`  ${VERDICT_LABEL[c.verdict].padEnd(12)} ${keyText(c.key)}: ${comparisonDetail(c)}`);
    }
    const fewer = comparison.comparisons.filter((c) => c.verdict === 'too-few-samples');
    if (fewer.length) {
      lines.push(`  too few samples to call a regression (a rank test cannot reach p < ${REGRESSION_ALPHA}; more repetitions would): ${fewer.map((c) => `${keyText(c.key)} (n=${c.now.n} vs ${c.baseline.n})`).join(', ')}`);
    }
    const single = comparison.comparisons.filter((c) => c.verdict === 'one-repetition');
    if (single.length) {
      lines.push(`  not judged, a side has one repetition (no interval: repetitions are its unit; run at least ${MIN_REPS_FOR_INTERVAL}): ${single.map((c) => `${keyText(c.key)} (${c.now.reps} vs ${c.baseline.reps} repetitions)`).join(', ')}`);
    }
    for (const m of comparison.missing) lines.push(`  ${'REGRESSION'.padEnd(12)} ${missingText(m)}`);
    for (const s of comparison.skipped) lines.push(`  ${'not compared'.padEnd(12)} ${keyText(s.key)}: ${s.reason}`);
  }
  if (verdict.rules.length === 0 && !verdict.baseline) lines.push('nothing to check: the scenario has no gate rules and no baseline was given');
  lines.push(`verdict: ${verdictLine(verdict)} (exit ${exitCode(verdict)})`);
  return `${lines.join('\n')}\n`;
}

const cell = (text: string) => text.replaceAll('|', '\\|');

export function renderMarkdown(verdict: GateVerdict): string {
  const out = [`## mplab gate: ${exitCode(verdict) === 0 ? '✅' : '❌'} ${verdictLine(verdict)}`, '', `Run: \`${verdict.run}\``, ''];
  if (verdict.failedRuns.length > 0) out.push('Failed during the run:', '', ...verdict.failedRuns.map((f) => `- ${f}`), '');
  if (verdict.rules.length > 0) {
    out.push('### Rules', '', '| verdict | rule | detail |', '|---|---|---|');
    for (const r of verdict.rules) out.push(`| ${r.verdict === 'fail' ? '**fail**' : r.verdict} | \`${cell(r.rule.text)}\` | ${cell(ruleDetail(r))} |`);
    out.push('');
  }
  if (verdict.baseline) {
    const { comparison, label } = verdict.baseline;
    out.push(`### Against baseline \`${label}\``, '', '| verdict | system | workload | metric | baseline | now | change | 95 % interval | noise floor | p(worse) |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const c of comparison.comparisons) {
      const m = c.unit;
      out.push(
        `| ${c.verdict === 'regression' ? '**REGRESSION**' : VERDICT_LABEL[c.verdict]} | ${c.key.system} | ${c.key.workload} | ${c.key.metric} (${c.policy.stat}) | ` +
          `${formatValue(c.baseline.value, m)} | ${formatValue(c.now.value, m)} | ${formatSigned(c.change, m)} (${formatPercent(c.change / c.baseline.value)}) | ` +
          `${changeInterval(c)} | ${formatValue(c.floor, m)} | ${formatNumber(c.pWorse)} |`,
      );
    }
    for (const m of comparison.missing) out.push(`| **REGRESSION** | ${m.system} | ${m.workload} | every metric | n=${m.baselineN} | no samples: ${cell(m.errors.join('; ') || 'failed in every repetition')} | | | | |`);
    out.push('');
    for (const s of comparison.skipped) out.push(`- not compared: ${keyText(s.key)}: ${s.reason}`);
  }
  return `${out.join('\n')}\n`;
}
