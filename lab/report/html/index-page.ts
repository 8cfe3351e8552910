// reports/index.html: per scenario, one small chart per headline metric with its
// history over the runs (median and 95 % interval per system; x = run, labelled with
// its date and commit), each point marked with the gate's verdict against the run's
// baseline, a new line segment wherever the conditions changed; then the runs with the
// gate's verdict and what decided it, and a side-by-side of any two runs. The page
// carries only the runs' compact summaries (no samples), and Chart.js inline: it opens
// from disk, offline.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { noisePolicy } from '../../gate/noise.ts';
import { headlineColumns, type HeadlineColumn } from '../headline-columns.ts';
import type { History, HistoryRun, ScenarioHistory } from '../history/collect.ts';
import { baselineText, type Mark } from '../history/run-verdict.ts';
import { scripts, STYLE } from './assets.ts';
import { systemColors } from './colors.ts';
import { esc, scriptJson } from './escape.ts';
import { shownUnit } from './format.ts';

const INDEX_STYLE = `
.history-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px 20px; }
.history-chart { margin: 0; } .history-chart figcaption { font-weight: 600; font-size: 13px; }
.small-chart { position: relative; height: 210px; }
.legend { font-size: 12px; color: #555; } .legend span { margin-right: 14px; white-space: nowrap; }
table.runs td { font-size: 12px; } table.runs td.decided { max-width: 560px; }
tr.run-regression td:first-child { border-left: 4px solid #b03a2e; } tr.run-improvement td:first-child { border-left: 4px solid #1e8449; }
.mark-regression { color: #b03a2e; font-weight: 600; } .mark-improvement { color: #1e8449; font-weight: 600; } .mark-inconclusive { color: #7a6a2a; }
#point-tip { position: absolute; z-index: 10; pointer-events: none; background: #fff; border: 1px solid #999; box-shadow: 0 2px 6px rgba(0,0,0,.2); padding: 6px 8px; font-size: 12px; max-width: 520px; display: none; }
#point-tip p { margin: 2px 0; }
`;

/** What the page script gets of one run. */
interface PageRun {
  runId: string;
  href: string;
  startedAt: string;
  commit: string;
  dirty: boolean;
  segment: number;
  changes: string[];
  stats: HistoryRun['summary']['stats'];
  points: HistoryRun['verdict']['points'];
  baseline: string;
}

interface PageColumn extends HeadlineColumn {
  unit: string;
  better: string;
}

interface MetricMeta {
  better: string;
  unit: string;
  /** The gate's noise floor: a change must exceed both to be called better or worse. */
  relative: number;
  absolute: number;
}

/** Headline columns of every run of the scenario, newest run's order first, that some run has a median of. */
function scenarioColumns(runs: readonly HistoryRun[]): PageColumn[] {
  const columns = new Map<string, PageColumn>();
  for (const run of [...runs].reverse()) {
    for (const column of headlineColumns(run.summary.metrics)) {
      const id = `${column.workload}/${column.metric}`;
      const info = run.summary.metrics[column.metric];
      const measured = Object.values(run.summary.stats).some((w) => w[column.workload]?.[column.metric]);
      if (!columns.has(id) && info && measured) columns.set(id, { ...column, unit: shownUnit(info.unit), better: info.better });
    }
  }
  return [...columns.values()];
}

/** Systems with a summary in some run, in the newest run's order first. */
function scenarioSystems(runs: readonly HistoryRun[]): string[] {
  const systems = new Set<string>();
  for (const run of [...runs].reverse()) for (const s of run.summary.systems) if (run.summary.stats[s]) systems.add(s);
  return [...systems];
}

function metricMeta(history: History): Record<string, MetricMeta> {
  const meta: Record<string, MetricMeta> = {};
  for (const run of history.scenarios.flatMap((s) => s.runs)) {
    for (const [key, info] of Object.entries(run.summary.metrics)) {
      const policy = noisePolicy(info);
      meta[key] ??= { better: info.better, unit: shownUnit(info.unit), relative: policy?.relative ?? 0, absolute: policy?.absolute ?? 0 };
    }
  }
  return meta;
}

const commitOf = (run: HistoryRun) => `${run.summary.conditions.revision.slice(0, 7)}${run.summary.conditions.dirty ? '+' : ''}`;

function pageRun(run: HistoryRun): PageRun {
  return {
    runId: run.runId,
    href: run.href,
    startedAt: run.summary.startedAt,
    commit: commitOf(run),
    dirty: run.summary.conditions.dirty,
    segment: run.segment,
    changes: run.changes,
    stats: run.summary.stats,
    points: run.verdict.points,
    baseline: baselineText(run.verdict.baseline),
  };
}

/** The run's mark in the table: regression when the gate would fail it, inconclusive when it could not judge, else its best news. */
function runMark(run: HistoryRun): Mark {
  if (run.verdict.exitCode === 1) return 'regression';
  if (run.verdict.exitCode === 2) return 'inconclusive';
  return run.verdict.decided.some((d) => d.mark === 'improvement') ? 'improvement' : 'ok';
}

const GATE_WORDS = { 0: 'ok', 1: 'REGRESSION', 2: 'bad input' } as const;

function runRowHtml(run: HistoryRun): string {
  const { verdict } = run;
  const mark = runMark(run);
  const decided = [...verdict.inputErrors.map((text) => ({ mark: 'inconclusive' as Mark, text })), ...verdict.decided];
  const lines = decided.map((d) => `<div class="mark-${d.mark}">${esc(d.text)}</div>`).join('');
  return (
    `<tr class="run-${mark}" data-run-id="${esc(run.runId)}" data-mark="${mark}">` +
    `<td><a href="${esc(encodeURI(run.href))}">${esc(run.runId)}</a></td><td>${esc(run.summary.startedAt.slice(0, 16).replace('T', ' '))}</td>` +
    `<td><code>${esc(commitOf(run))}</code></td><td>${run.segment + 1}${run.changes.length ? ` (new: ${esc(run.changes.join(', '))})` : ''}</td>` +
    `<td>${esc(run.summary.systems.join(', '))}</td><td class="mark-${mark}">${GATE_WORDS[verdict.exitCode]}</td><td>${esc(baselineText(verdict.baseline))}</td>` +
    `<td class="decided"><div class="note">${esc(verdict.overview)}</div>${lines}</td></tr>`
  );
}

const LEGEND = `<p class="legend"><span>● median, bar: its 95 % interval</span><span class="mark-regression">▲ the gate: regression</span><span class="mark-improvement">▼ improvement</span><span class="mark-inconclusive">◇ inconclusive (too few samples, or a rule's interval straddles its threshold)</span><span>× no samples: failed in every repetition</span><span>┆ new series: the conditions changed</span></p>`;

function scenarioHtml(scenario: ScenarioHistory, index: number, columns: PageColumn[]): string {
  const { runs } = scenario;
  const newest = [...runs].reverse();
  const series = new Set(runs.map((r) => r.segment)).size;
  const baseline = scenario.committedBaseline
    ? `each run against the committed <code>${esc(scenario.committedBaseline)}</code> (what CI gates against)`
    : `each run against the previous run of its series (no <code>baselines/${esc(scenario.name)}.json</code> committed; the first run of a series has only its rules)`;
  const charts = columns
    .map((c, i) => `<figure class="history-chart"><figcaption>${esc(c.label)}${c.unit ? ` (${esc(c.unit)})` : ''} <span class="note">${esc(c.workload)}.${esc(c.metric)}, ${c.share ? 'share of repetitions' : `median, ${c.better} is better`}</span></figcaption><div class="small-chart"><canvas id="history-${index}-${i}"></canvas></div></figure>`)
    .join('');
  const options = (selected: number) => newest.map((r, i) => `<option value="${esc(r.runId)}"${i === selected ? ' selected' : ''}>${esc(`${r.runId} · ${commitOf(r)}`)}</option>`).join('');
  const compare =
    runs.length >= 2
      ? `<div class="compare" data-scenario="${index}"><h3>Side by side</h3>
<p class="note">Any two runs, from their summaries: a change is called better or worse when the two runs' 95 % intervals of the median do not overlap and the change exceeds the gate's noise floor for that metric. (The gate itself decides on the samples.)</p>
<label>before <select class="run-a">${options(1)}</select></label>
<label>after <select class="run-b">${options(0)}</select></label>
<div class="compare-table"></div></div>`
      : '<p class="note">One run of this scenario so far: a side-by-side needs two.</p>';
  return `<section class="scenario" data-scenario="${esc(scenario.name)}"><h2>${esc(scenario.name)}</h2>
<p class="note">${runs.length} run${runs.length === 1 ? '' : 's'} in ${series} series. The gate's verdict: ${baseline}. Click a point to open that run's report.</p>
${LEGEND}
<div class="history-grid">${charts || '<p class="absent">No headline metric was measured in these runs.</p>'}</div>
<h3>Runs, newest first</h3>
<div class="scroll"><table class="plain runs"><thead><tr><th>run</th><th>started (UTC)</th><th>commit</th><th>series</th><th>systems</th><th>gate</th><th>baseline</th><th>what decided</th></tr></thead><tbody>${newest.map(runRowHtml).join('')}</tbody></table></div>
${compare}</section>`;
}

export function indexPageHtml(history: History): string {
  const columns = history.scenarios.map((s) => scenarioColumns(s.runs));
  const runCount = history.scenarios.reduce((sum, s) => sum + s.runs.length, 0);
  const allSystems = [...new Set(history.scenarios.flatMap((s) => scenarioSystems(s.runs)))];
  const data = {
    colors: systemColors(allSystems),
    meta: metricMeta(history),
    scenarios: history.scenarios.map((s, i) => ({ name: s.name, systems: scenarioSystems(s.runs), columns: columns[i], runs: s.runs.map(pageRun) })),
  };
  const sections = history.scenarios.map((s, i) => scenarioHtml(s, i, columns[i]!)).join('\n');
  const clientJs = readFileSync(path.join(import.meta.dirname, 'index-client.js'), 'utf8').replaceAll('</script', '<\\/script');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>mplab runs</title><style>${STYLE}${INDEX_STYLE}</style></head>
<body>
<h1>mplab runs</h1>
<p class="sub">${runCount} run${runCount === 1 ? '' : 's'} in ${history.scenarios.length} scenario${history.scenarios.length === 1 ? '' : 's'}. A series is the runs made under the same conditions: scenario as parsed, link backend, kernel and commit.</p>
${sections || '<p class="absent">No runs yet: <code>npm run scenario lossy-wisp</code> makes one.</p>'}
<div id="point-tip"></div>
<script type="application/json" id="index-data">${scriptJson(data)}</script>
<script>${scripts().chartJs}</script>
<script>${clientJs}</script>
</body></html>
`;
}
