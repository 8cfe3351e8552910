// Reads a scenario file and validates it. Errors name the file, the line and the field,
// and say what is allowed; nothing is built from an invalid file.
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isNode, isScalar, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { scenarioSchema, type Scenario } from './schema.ts';

export interface ScenarioProblem {
  line: number;
  column: number;
  field: string;
  message: string;
}

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ScenarioProblem[],
  ) {
    super(problems.map((p) => `${file}:${p.line}:${p.column}: ${p.field || '(top level)'}: ${p.message}`).join('\n'));
    this.name = 'ScenarioError';
  }
}

/** `given`: the value at the issue's path in the document (zod does not report it). */
function describeIssue(issue: z.core.$ZodIssue, given: unknown): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && given === undefined) return `missing (required: ${issue.expected})`;
  if (issue.code === 'invalid_type') return `expected a ${issue.expected}, got ${JSON.stringify(given)}`;
  return issue.message;
}

/**
 * Where a problem is in the text: at the key itself for an unknown key, else at the
 * deepest node of the path that exists (a missing field is shown at its parent).
 */
function offsetOf(doc: Document, path: string[], unknownKey: string | undefined): number {
  if (unknownKey !== undefined) {
    const parent = doc.getIn(path, true);
    const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && item.key.value === unknownKey) : undefined;
    if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
  }
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return 0;
}

/** The YAML document of a scenario file, with line positions; invalid YAML is a ScenarioError. */
export function parseScenarioDocument(text: string, file: string): { doc: Document; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { line: pos.line, column: pos.col, field: '', message: `invalid YAML: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  return { doc, lineCounter };
}

export function parseScenario(text: string, file: string): Scenario {
  const { doc, lineCounter } = parseScenarioDocument(text, file);
  return validateScenarioDocument(doc, lineCounter, file);
}

/** The scenario a (possibly edited) document describes, or a ScenarioError naming each field that is wrong. */
export function validateScenarioDocument(doc: Document, lineCounter: LineCounter, file: string): Scenario {
  const locate = (offset: number) => lineCounter.linePos(offset);
  const data: unknown = doc.toJS();
  const result = scenarioSchema.safeParse(data);
  if (result.success) return result.data;
  const valueAt = (path: string[]) => path.reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), data);
  const problems = result.error.issues.map((issue): ScenarioProblem => {
    const path = issue.path.map(String);
    const isUnknownKey = issue.code === 'unrecognized_keys';
    const field = (isUnknownKey ? [...path, issue.keys[0]!] : path).join('.');
    const pos = locate(offsetOf(doc, path, isUnknownKey ? issue.keys[0] : undefined));
    return { line: pos.line, column: pos.col, field, message: describeIssue(issue, valueAt(path)) };
  });
  throw new ScenarioError(file, problems);
}

export async function loadScenario(file: string): Promise<Scenario> {
  return parseScenario(await readFile(file, 'utf8'), file);
}
