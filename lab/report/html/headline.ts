// The headline table: systems x key metrics, each cell the median with its 95 %
// interval (for a 0/1 outcome: how many repetitions had it), the best of each column
// marked only when separable from the others (lab/stats/separable.ts; otherwise the
// systems whose intervals overlap the best median's are marked as not separable), and
// each system's ratio to mprelay.
import { bestOf } from '../../stats/separable.ts';
import { esc } from './escape.ts';
import { formatInterval, formatNumber, formatValue } from './format.ts';
import type { RunView } from './run-view.ts';
import { headlineColumns, type HeadlineColumn } from '../headline-columns.ts';

/** The relay whose ratios the table shows: this project's own system. */
export const REFERENCE_SYSTEM = 'mprelay';

export interface HeadlineCell {
  /** The median, or the mean of a share column. */
  value: number;
  /** The median's interval (none for a share column; null from a single repetition). */
  ci95?: [number, number] | null;
  n: number;
  /** Repetitions the samples came from. */
  reps: number;
  /** Samples censored at their timeout (failed attempts) among the n. */
  censored: number;
  /** What a share column counts. */
  shareOf?: 'repetitions' | 'attempts';
  /** Best of the column, its interval clear of every other system's. */
  best: boolean;
  /** Among the best median's system and those whose intervals overlap it: no best can be claimed. */
  notSeparable: boolean;
  /** This system's median / mprelay's median. */
  ratio?: number;
}

export interface Headline {
  columns: (HeadlineColumn & { unit: string; better: 'lower' | 'higher' })[];
  rows: { system: string; cells: (HeadlineCell | null)[] }[];
}

export function headline(view: RunView): Headline {
  const columns = headlineColumns(view.results.metrics)
    .filter((c) => view.systems.some((system) => view.summary({ system, ...c })))
    .map((c) => ({ ...c, unit: view.metric(c.metric)?.unit ?? '', better: view.metric(c.metric)?.better ?? 'lower' }));
  const rows = view.systems.map((system) => ({
    system,
    cells: columns.map((c): HeadlineCell | null => {
      const s = view.summary({ system, ...c });
      if (!s) return null;
      const censored = view.samples({ system, ...c }).filter((sample) => sample.censored).length;
      const common = { n: s.n, reps: s.reps, censored, best: false, notSeparable: false };
      return c.share ? { value: s.mean, shareOf: c.share, ...common } : { value: s.p50, ci95: s.ci95, ...common };
    }),
  }));
  columns.forEach((c, i) => {
    const column = rows.map((r) => r.cells[i] ?? null);
    const cells = column.filter((cell): cell is HeadlineCell => cell !== null);
    // A share has no interval to separate by: no best.
    const verdict = c.share ? { kind: 'none' as const } : bestOf(column.map((cell) => cell && { value: cell.value, ci95: cell.ci95 ?? null }), c.better);
    if (verdict.kind === 'best') column[verdict.index]!.best = true;
    if (verdict.kind === 'not-separable') for (const index of verdict.indices) column[index]!.notSeparable = true;
    const reference = rows.find((r) => r.system === REFERENCE_SYSTEM)?.cells[i];
    if (!c.share && reference && reference.value !== 0) for (const cell of cells) cell.ratio = cell.value / reference.value;
  });
  return { columns, rows };
}

function cellHtml(cell: HeadlineCell | null, unit: string, isReference: boolean): string {
  if (!cell) return '<td class="none" title="no sample in this run: not run, or the workload failed">no samples</td>';
  const ratio = cell.ratio !== undefined && !isReference ? `<div class="ratio">${formatNumber(cell.ratio)}× ${REFERENCE_SYSTEM}</div>` : '';
  const main = cell.shareOf ? `${Math.round(cell.value * cell.n)} of ${cell.n}` : formatValue(cell.value, unit);
  const detail = cell.shareOf ?? (cell.ci95 ? formatInterval(cell.ci95, unit) : 'one repetition: no interval');
  const censored = cell.censored > 0 && !cell.shareOf ? `<div class="censored">${cell.censored} of ${cell.n} censored at the timeout</div>` : '';
  const mark = cell.best ? '★ ' : cell.notSeparable ? '≈ ' : '';
  const title = `n = ${cell.n} from ${cell.reps} repetition(s)${cell.notSeparable ? '; not separable from the other ≈ cells of this column: their intervals overlap' : ''}`;
  return (
    `<td class="${cell.best ? 'best' : cell.notSeparable ? 'tied' : ''}" title="${esc(title)}">` +
    `<div class="median">${mark}${esc(main)}</div>` +
    `<div class="interval">${esc(detail)}</div>${censored}${ratio}</td>`
  );
}

export function headlineHtml(table: Headline): string {
  if (!table.columns.length) return '<p class="absent">This run has no summaries: every system failed, or no workload ran.</p>';
  const head = table.columns.map((c) => `<th>${esc(c.label)}<div class="metric">${esc(c.workload)}.${esc(c.metric)}</div></th>`).join('');
  const body = table.rows
    .map((r) => `<tr><th class="system">${esc(r.system)}</th>${r.cells.map((cell, i) => cellHtml(cell, table.columns[i]!.unit, r.system === REFERENCE_SYSTEM)).join('')}</tr>`)
    .join('\n');
  return (
    `<div class="scroll"><table class="headline"><thead><tr><th>system</th>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>` +
    `<p class="note">Median with its 95 % interval, a bootstrap over repetitions; failed or timed-out attempts are in it at their timeout (censored, counted under the cell). ` +
    `Shares: attempts that succeeded, or repetitions whose download survived the outage. ` +
    `★ best of the column, its interval clear of every other system's; ≈ the best median and the systems whose intervals overlap it: not separable, no best claimed; no interval and no mark at all where a system has a single repetition (repetitions are an interval's unit). ` +
    (table.rows.some((r) => r.system === REFERENCE_SYSTEM) ? `Ratios: the system's median divided by ${REFERENCE_SYSTEM}'s.` : `No ratios: ${REFERENCE_SYSTEM} is not in this run.`) +
    '</p>'
  );
}
