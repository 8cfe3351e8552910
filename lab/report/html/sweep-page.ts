// A sweep's index.html: which cells ran where and how, then for each headline metric its
// charts over each swept field and a table of every cell. One self-contained file, like
// a run's report: the data and the chart code are inline.
import path from 'node:path';
import { read, scripts, STYLE } from './assets.ts';
import { systemColors } from './colors.ts';
import { esc, scriptJson } from './escape.ts';
import { formatInterval, formatValue } from './format.ts';
import type { SweepCellResult, SweepData, SweepInput, SweepValue } from './sweep-data.ts';

const SWEEP_STYLE = `
.panels { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 8px 24px; }
.panels .chart { height: 260px; margin: 4px 0 8px; }
.panel-title { font-size: 12px; color: #555; margin: 8px 0 0; }
td.failed { color: #b03a2e; } td.pending { color: #aaa; }
`;

function settingsText(cell: SweepCellResult): string {
  return cell.settings.map((s) => `${s.path}=${s.value}`).join(', ');
}

function statusCell(cell: SweepCellResult): string {
  if (cell.status === 'done') return `<td>${cell.href ? `<a href="${esc(cell.href)}">done</a>` : 'done'}</td>`;
  if (cell.status === 'failed') return `<td class="failed" title="${esc(cell.error ?? '')}">failed: ${esc((cell.error ?? '').split('\n')[0]!.slice(0, 160))}</td>`;
  return '<td class="pending">not run yet</td>';
}

function cellsHtml(input: SweepInput): string {
  const rows = input.cells.map(
    (cell) => `<tr><th class="system">${esc(cell.id)}</th>${cell.settings.map((s) => `<td>${esc(s.value)}</td>`).join('')}${statusCell(cell)}<td>${esc(cell.engine ?? '')}</td></tr>`,
  );
  const head = input.axes.map((a) => `<th>${esc(a.path)}</th>`).join('');
  return `<div class="scroll"><table class="plain"><thead><tr><th>cell</th>${head}<th>status</th><th>engine</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

function valueHtml(value: SweepValue | null, unit: string): string {
  if (!value || value.value === null) return '<td class="none">no samples</td>';
  const interval = value.lo !== null && value.hi !== null ? `<div class="interval">${esc(formatInterval([value.lo, value.hi], unit))}</div>` : '';
  return `<td title="n = ${value.n}"><div class="median">${esc(formatValue(value.value, unit))}</div>${interval}</td>`;
}

function metricHtml(metric: SweepData['metrics'][number], systems: string[]): string {
  const byAxis = new Map<string, typeof metric.charts>();
  for (const chart of metric.charts) byAxis.set(chart.axis, [...(byAxis.get(chart.axis) ?? []), chart]);
  const charts = [...byAxis]
    .map(([axis, list]) => {
      const panels = list
        .map((chart) => {
          const title = chart.fixed.length ? chart.fixed.map((s) => `${s.path}=${s.value}`).join(', ') : 'all cells';
          return `<div><p class="panel-title">${esc(title)}</p><div class="chart"><canvas id="${esc(chart.id)}"></canvas></div></div>`;
        })
        .join('');
      return `<h3>over ${esc(axis)}</h3><div class="panels">${panels}</div>`;
    })
    .join('\n');
  const head = systems.map((s) => `<th>${esc(s)}</th>`).join('');
  const rows = metric.table.map(({ cell, values }) => `<tr><th class="system">${esc(cell.id)}<div class="metric">${esc(settingsText(cell))}</div></th>${values.map((v) => valueHtml(v, metric.unit)).join('')}</tr>`);
  const what = metric.column.share ? 'share of repetitions' : 'median, band: its bootstrap 95 % interval';
  return (
    `<section class="metric-section" data-metric="${esc(metric.key)}"><h2>${esc(metric.column.label)} <span class="metric">${esc(metric.key)} (${esc(metric.unit)}; ${metric.better} is better)</span></h2>` +
    `<p class="note">${esc(what)}; a gap: that cell has no samples for that system.</p>${charts}` +
    `<div class="scroll"><table class="headline"><thead><tr><th>cell</th>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div></section>`
  );
}

export function sweepPageHtml(input: SweepInput, data: SweepData): string {
  const { chartJs } = scripts();
  const done = input.cells.filter((c) => c.status === 'done').length;
  const failed = input.cells.filter((c) => c.status === 'failed').length;
  const axes = input.axes.map((a) => `${a.path} = ${a.values.join(', ')}`).join(' × ');
  const charts = data.metrics.flatMap((m) => m.charts.map((c) => ({ ...c, unit: m.unit, label: m.column.label })));
  const payload = { colors: systemColors(data.systems), charts };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.scenarioName)} · sweep · mplab</title>
<style>${STYLE}${SWEEP_STYLE}</style></head>
<body>
<h1>${esc(input.scenarioName)}: sweep</h1>
<p class="sub">${esc(axes)} · ${input.cells.length} cells: ${done} done${failed ? `, ${failed} failed` : ''}${input.cells.length - done - failed ? `, ${input.cells.length - done - failed} not run yet` : ''}</p>
<h2>Cells</h2>
${cellsHtml(input)}
${data.metrics.length ? data.metrics.map((m) => metricHtml(m, data.systems)).join('\n') : '<p class="absent">No cell has results yet.</p>'}
<script type="application/json" id="sweep-data">${scriptJson(payload)}</script>
<script>${chartJs}</script>
<script>${read(path.join(import.meta.dirname, 'sweep-client.js'))}</script>
</body></html>
`;
}
