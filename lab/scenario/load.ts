// Reads a scenario file and validates it. Errors name the file, the line and the field,
// and say what is allowed; nothing is built from an invalid file.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode } from 'yaml';
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

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `missing (required: ${issue.expected})`;
  return issue.message;
}

export function parseScenario(text: string, file: string): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const locate = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors.map((e) => {
        const pos = locate(e.pos[0]);
        return { line: pos.line, column: pos.col, field: '', message: `invalid YAML: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  const result = scenarioSchema.safeParse(doc.toJS());
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue): ScenarioProblem => {
    const path = issue.path.map(String);
    // An unknown key is best shown at the key itself; otherwise at the deepest node that exists.
    const keyPath = issue.code === 'unrecognized_keys' ? [...path, issue.keys[0]!] : path;
    let node: unknown = undefined;
    for (let depth = keyPath.length; depth >= 0 && !isNode(node); depth--) node = doc.getIn(keyPath.slice(0, depth), true);
    const offset = isNode(node) && node.range ? node.range[0] : 0;
    const pos = locate(offset);
    return { line: pos.line, column: pos.col, field: keyPath.join('.'), message: describeIssue(issue) };
  });
  throw new ScenarioError(file, problems);
}

export async function loadScenario(file: string): Promise<Scenario> {
  return parseScenario(await readFile(file, 'utf8'), file);
}
