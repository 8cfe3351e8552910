// The cells of a sweep: `--set path=v1,v2,...` options are its axes, and every
// combination of one value per axis is a cell (the cartesian product, first axis
// slowest). A cell's id names it in directories and reports: its number and its values.
import type { Setting } from '../../scenario/override.ts';

export interface Axis {
  path: string;
  values: string[];
}

export interface Cell {
  id: string;
  settings: Setting[];
}

export class SweepInputError extends Error {
  override name = 'SweepInputError';
}

const PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Splits on commas outside brackets and braces, so a value may be a list ([1, 4]). */
function splitValues(text: string): string[] {
  const values: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '[' || char === '{') depth++;
    if (char === ']' || char === '}') depth--;
    if (char === ',' && depth === 0) {
      values.push(current.trim());
      current = '';
    } else current += char;
  }
  values.push(current.trim());
  return values;
}

/** One --set option: `links.a.loss=0%,1%,3%`. */
export function parseAxis(option: string): Axis {
  const at = option.indexOf('=');
  const path = at < 0 ? option : option.slice(0, at);
  if (at < 0 || !PATH.test(path)) throw new SweepInputError(`--set ${option}: expected field.path=value1,value2,... (e.g. links.a.loss=0%,1%,3%)`);
  const values = splitValues(option.slice(at + 1));
  if (values.some((v) => v === '')) throw new SweepInputError(`--set ${option}: an empty value`);
  const repeated = values.find((v, i) => values.indexOf(v) !== i);
  if (repeated !== undefined) throw new SweepInputError(`--set ${option}: ${repeated} given twice`);
  return { path, values };
}

export function parseAxes(options: readonly string[]): Axis[] {
  if (options.length === 0) throw new SweepInputError('sweep: at least one --set field=value1,value2,... is needed');
  const axes = options.map(parseAxis);
  const repeated = axes.find((a, i) => axes.findIndex((b) => b.path === a.path) !== i);
  if (repeated) throw new SweepInputError(`--set ${repeated.path}: given twice (one --set per field, its values separated by commas)`);
  return axes;
}

function slug(settings: readonly Setting[]): string {
  return settings.map((s) => `${s.path}=${s.value.replaceAll('%', 'pct')}`.replace(/[^A-Za-z0-9._=-]+/g, '-')).join('_');
}

export function sweepCells(axes: readonly Axis[]): Cell[] {
  let combinations: Setting[][] = [[]];
  for (const axis of axes) combinations = combinations.flatMap((settings) => axis.values.map((value) => [...settings, { path: axis.path, value }]));
  const width = String(combinations.length).length;
  return combinations.map((settings, i) => ({ id: `${String(i + 1).padStart(Math.max(2, width), '0')}_${slug(settings)}`, settings }));
}
