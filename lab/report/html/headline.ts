// The headline table: systems x key metrics, each cell the median with its 95 %
// interval (for a 0/1 outcome: how many repetitions had it), the best of each column
// marked, and each system's ratio to mprelay.
import { esc } from './escape.ts';
import { formatInterval, formatNumber, formatValue } from './format.ts';
import type { RunView } from './run-view.ts';
import { headlineColumns, type HeadlineColumn } from '../headline-columns.ts';

/** The relay whose ratios the table shows: this project's own system. */
export const REFERENCE_SYSTEM = 'mprelay';

export interface HeadlineCell {
  /** The median, or the mean of a share column. */
  value: number;
  /** The median's interval (none for a share column). */
  ci95?: [number, number];
  n: number;
  /** Samples censored at their timeout (failed attempts) among the n. */
  censored: number;
  /** What a share column counts. */
  shareOf?: 'repetitions' | 'attempts';
  best: boolean;
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
      return c.share ? { value: s.mean, n: s.n, censored, shareOf: c.share, best: false } : { value: s.p50, ci95: s.ci95, n: s.n, censored, best: false };
    }),
  }));
  columns.forEach((c, i) => {
    const cells = rows.map((r) => r.cells[i]).filter((cell): cell is HeadlineCell => cell !== null);
    const lowerIsBetter = c.better === 'lower';
    const bestValue = lowerIsBetter ? Math.min(...cells.map((cell) => cell.value)) : Math.max(...cells.map((cell) => cell.value));
    for (const cell of cells) cell.best = cell.value === bestValue;
    const reference = rows.find((r) => r.system === REFERENCE_SYSTEM)?.cells[i];
    if (!c.share && reference && reference.value !== 0) for (const cell of cells) cell.ratio = cell.value / reference.value;
  });
  return { columns, rows };
}

function cellHtml(cell: HeadlineCell | null, unit: string, isReference: boolean): string {
  if (!cell) return '<td class="none" title="no sample in this run: not run, failed, or (recovery) never reached the threshold">no samples</td>';
  const ratio = cell.ratio !== undefined && !isReference ? `<div class="ratio">${formatNumber(cell.ratio)}× ${REFERENCE_SYSTEM}</div>` : '';
  const main = cell.ci95 ? formatValue(cell.value, unit) : `${Math.round(cell.value * cell.n)} of ${cell.n}`;
  const detail = cell.ci95 ? formatInterval(cell.ci95, unit) : (cell.shareOf ?? 'repetitions');
  const censored = cell.censored > 0 && cell.ci95 ? `<div class="censored">${cell.censored} of ${cell.n} censored at the timeout</div>` : '';
  return (
    `<td class="${cell.best ? 'best' : ''}" title="n = ${cell.n}">` +
    `<div class="median">${cell.best ? '★ ' : ''}${esc(main)}</div>` +
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
    `<p class="note">Median with its bootstrap 95 % interval; failed or timed-out attempts are in it at their timeout (censored, counted under the cell). ` +
    `Shares: attempts that succeeded, or repetitions whose download survived the outage. ★ best of the column. ` +
    (table.rows.some((r) => r.system === REFERENCE_SYSTEM) ? `Ratios: the system's median divided by ${REFERENCE_SYSTEM}'s.` : `No ratios: ${REFERENCE_SYSTEM} is not in this run.`) +
    '</p>'
  );
}
