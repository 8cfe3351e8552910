// A scenario file with some fields set from the command line (`--set links.a.loss=1%`),
// as a sweep cell is: the values are written into the file's YAML document and the
// result is validated exactly as a file is, so a bad value or a mistyped field is
// refused with the field named. A key of a link direction given at the link
// (`links.b.delay`) sets it in both directions.
import { parse as parseYaml } from 'yaml';
import { parseScenarioDocument, validateScenarioDocument } from './load.ts';
import type { Scenario } from './schema.ts';

export interface Setting {
  /** Dotted field path, e.g. links.a.loss or workloads.connect.connections. */
  path: string;
  /** As written: parsed as a YAML scalar or flow value (10ms stays text, 20 is a number, [1, 4] a list). */
  value: string;
}

const DIRECTION_KEYS = new Set(['rate', 'delay', 'jitter', 'loss', 'burst', 'queue']);

/** The document paths a setting writes: links.<x>.<direction key>... in both directions, anything else as it is. */
export function settingPaths(path: string): string[][] {
  const keys = path.split('.');
  if (keys[0] === 'links' && keys.length >= 3 && DIRECTION_KEYS.has(keys[2]!)) {
    return ['down', 'up'].map((direction) => [...keys.slice(0, 2), direction, ...keys.slice(2)]);
  }
  return [keys];
}

function settingValue(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return text;
  }
}

export function describeSettings(settings: readonly Setting[]): string {
  return settings.map((s) => `--set ${s.path}=${s.value}`).join(' ');
}

/**
 * The scenario of `text` with `settings` applied, and the file text that describes it
 * (comments kept). Problems are reported against "<file> <settings>".
 */
export function parseScenarioWith(text: string, file: string, settings: readonly Setting[]): { scenario: Scenario; text: string } {
  const { doc, lineCounter } = parseScenarioDocument(text, file);
  for (const setting of settings) for (const path of settingPaths(setting.path)) doc.setIn(path, settingValue(setting.value));
  const label = settings.length > 0 ? `${file} (${describeSettings(settings)})` : file;
  return { scenario: validateScenarioDocument(doc, lineCounter, label), text: doc.toString() };
}
