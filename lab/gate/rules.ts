// Gate rules from a scenario's `gate.rules`, e.g.
//   mprelay.connect.ttfb_ms.p50 < 0.6 * redsocks-dante.connect.ttfb_ms.p50
// Parsed strictly: a rule the gate cannot read is an error that says where and why,
// never a rule that silently passes.
import { SYSTEM_NAMES, WORKLOAD_NAMES, type SystemNameInScenario, type WorkloadName } from '../scenario/schema.ts';
import { STATISTICS, type StatisticName } from '../stats/statistic.ts';

export interface MetricRef {
  system: SystemNameInScenario;
  workload: WorkloadName;
  metric: string;
  stat: StatisticName;
}

export const OPERATORS = ['<', '<=', '>', '>='] as const;
export type Operator = (typeof OPERATORS)[number];

/** `lhs op factor * rhs` when rhs is a metric, or `lhs op constant`. */
export type Rule =
  | { text: string; lhs: MetricRef; op: Operator; rhs: { kind: 'metric'; factor: number; ref: MetricRef } }
  | { text: string; lhs: MetricRef; op: Operator; rhs: { kind: 'constant'; value: number } };

export class RuleError extends Error {
  constructor(
    readonly rule: string,
    readonly column: number,
    reason: string,
  ) {
    super(`bad gate rule ${JSON.stringify(rule)} at column ${column}: ${reason}`);
    this.name = 'RuleError';
  }
}

interface Token {
  text: string;
  column: number;
}

const TOKEN = /\s*(<=|>=|<|>|\*|[^\s<>*]+)/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) break; // only trailing whitespace is left
    tokens.push({ text: match[1]!, column: start + match[0].length - match[1]!.length + 1 });
  }
  return tokens;
}

const NUMBER = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const METRIC_NAME = /^[a-z][a-z0-9_]*$/;

function oneOf<T extends string>(allowed: readonly T[], value: string): value is T {
  return (allowed as readonly string[]).includes(value);
}

function parseRef(rule: string, token: Token): MetricRef {
  const parts = token.text.split('.');
  const fail = (reason: string): never => {
    throw new RuleError(rule, token.column, reason);
  };
  if (parts.length !== 4) fail(`${JSON.stringify(token.text)} is not system.workload.metric.stat`);
  const [system, workload, metric, stat] = parts as [string, string, string, string];
  if (!oneOf(SYSTEM_NAMES, system)) fail(`unknown system ${JSON.stringify(system)} (allowed: ${SYSTEM_NAMES.join(', ')})`);
  if (!oneOf(WORKLOAD_NAMES, workload)) fail(`unknown workload ${JSON.stringify(workload)} (allowed: ${WORKLOAD_NAMES.join(', ')})`);
  if (!METRIC_NAME.test(metric)) fail(`bad metric name ${JSON.stringify(metric)} (lowercase letters, digits, _)`);
  if (!oneOf(STATISTICS, stat)) fail(`unknown statistic ${JSON.stringify(stat)} (allowed: ${STATISTICS.join(', ')})`);
  return { system: system as SystemNameInScenario, workload: workload as WorkloadName, metric, stat: stat as StatisticName };
}

function parseNumber(rule: string, token: Token): number {
  if (!NUMBER.test(token.text)) throw new RuleError(rule, token.column, `expected a number, got ${JSON.stringify(token.text)}`);
  const value = Number(token.text);
  if (!Number.isFinite(value) || value <= 0) throw new RuleError(rule, token.column, `the factor must be a positive finite number`);
  return value;
}

/** Grammar: REF OP NUMBER | REF OP REF | REF OP NUMBER '*' REF. */
export function parseRule(text: string): Rule {
  const tokens = tokenize(text);
  const end = text.length + 1;
  const at = (i: number): Token => {
    const token = tokens[i];
    if (!token) throw new RuleError(text, end, i === 0 ? 'empty rule' : 'the rule ends too early');
    return token;
  };
  const lhs = parseRef(text, at(0));
  const opToken = at(1);
  if (!oneOf(OPERATORS, opToken.text)) throw new RuleError(text, opToken.column, `expected one of ${OPERATORS.join(' ')}, got ${JSON.stringify(opToken.text)}`);
  const op = opToken.text;
  const first = at(2);
  let rule: Rule;
  let used: number;
  if (NUMBER.test(first.text) && tokens[3]?.text === '*') {
    rule = { text, lhs, op, rhs: { kind: 'metric', factor: parseNumber(text, first), ref: parseRef(text, at(4)) } };
    used = 5;
  } else if (/^[-+\d.]/.test(first.text)) {
    // Starts like a number: it must be one (a metric reference starts with a letter).
    if (!NUMBER.test(first.text)) throw new RuleError(text, first.column, `expected a number, got ${JSON.stringify(first.text)}`);
    rule = { text, lhs, op, rhs: { kind: 'constant', value: Number(first.text) } };
    used = 3;
  } else {
    rule = { text, lhs, op, rhs: { kind: 'metric', factor: 1, ref: parseRef(text, first) } };
    used = 3;
  }
  const extra = tokens[used];
  if (extra) throw new RuleError(text, extra.column, `unexpected ${JSON.stringify(extra.text)} after the end of the rule`);
  return rule;
}

export function formatRef(ref: MetricRef): string {
  return `${ref.system}.${ref.workload}.${ref.metric}.${ref.stat}`;
}
