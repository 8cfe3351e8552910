// One run's index.html: headline table, charts, then the reference sections. A single
// self-contained file: the data and all chart code are inline.
import { scripts, STYLE } from './assets.ts';
import { chartSet, type ChartId } from './chart-data.ts';
import { esc, scriptJson } from './escape.ts';
import { headline, headlineHtml } from './headline.ts';
import type { RunView } from './run-view.ts';
import { evidenceHtml } from './evidence.ts';
import { blocksHtml, impreciseHtml, repetitionsHtml } from './protocol.ts';
import { filesHtml, linkCountersHtml, linkModelsHtml, valueHtml } from './sections.ts';
import { systemColors } from './colors.ts';

export interface RunPageInput {
  view: RunView;
  /** Relative paths of the CSV files and logs, from the run directory. */
  files: string[];
}

/** Charts in the order of the workloads they draw; each workload's evidence table follows its last chart. */
const CHARTS: { id: ChartId; workload: string; canvas: string; title: string; caption: string }[] = [
  { id: 'ttfbCdf', workload: 'connect', canvas: 'chart-ttfb-cdf', title: 'Time to first byte of a fresh connection (CDF)', caption: 'Every connection of the connect workload; left and steep is better. Triangles: connections that failed or timed out, entered at the timeout (censored).' },
  { id: 'latency', workload: 'hol', canvas: 'chart-latency', title: 'Interactive latency: idle vs during bulk downloads', caption: 'Echo round trip of a small frame sent every probe interval on a fixed schedule, on its own connection. Head-of-line blocking shows as a tall orange bar.' },
  { id: 'latencyOverTime', workload: 'hol', canvas: 'chart-latency-time', title: 'Interactive latency over time', caption: 'First repetition of each system: every echo, idle first, then while bulk downloads run (shaded: the samples counted as loaded). Triangles: echoes not back within the timeout, entered at it (censored).' },
  { id: 'pageload', workload: 'pageload', canvas: 'chart-pageload', title: 'Page load: idle vs during bulk downloads', caption: 'A 30 KB document, then 40 objects (about 1 MB) over at most 6 keep-alive connections, as a browser loads a page; failed pages enter at the timeout.' },
  { id: 'goodput', workload: 'throughput', canvas: 'chart-goodput', title: 'Goodput', caption: 'Verified bytes at the receiver over each whole window after its omitted start, one sample per repetition; dashed line: configured rate of link A + link B in that direction.' },
  { id: 'failover', workload: 'failover', canvas: 'chart-failover', title: 'Failover timeline', caption: '' },
];

const FAILOVER_CAPTION =
  'First repetition of each system. Top: bytes the download received per 200 ms while the link was down (shaded) and after it came back. ' +
  'Bottom: every fresh connection opened (one each 250 ms), at the moment it was opened: a dot if it got its whole answer within the timeout, a red cross if it failed.';

function chartBody(id: ChartId, canvas: string, caption: string, charts: ReturnType<typeof chartSet>): string {
  const absent = charts.absent[id];
  if (absent) return `<p class="absent">${esc(absent)}</p>`;
  if (id !== 'failover') return `<div class="chart"><canvas id="${canvas}"></canvas></div><p class="note">${esc(caption)}</p>`;
  return (charts.data.failover ?? [])
    .map((w) => `<h4>link ${esc(w.link)} down</h4><div class="chart"><canvas id="${canvas}-${esc(w.link)}"></canvas></div>`)
    .concat(`<p class="note">${esc(FAILOVER_CAPTION)}</p>`)
    .join('');
}

export function runPageHtml(input: RunPageInput): string {
  const { view } = input;
  const charts = chartSet(view);
  const { chartJs, clientJs } = scripts();
  const chartSections = CHARTS.map(({ id, workload, canvas, title, caption }, i) => {
    const lastOfWorkload = CHARTS[i + 1]?.workload !== workload;
    const evidence = lastOfWorkload ? evidenceHtml(view, workload) : '';
    return `<section class="chart-section" data-chart="${id}"><h3>${esc(title)}</h3>${chartBody(id, canvas, caption, charts)}${evidence}</section>`;
  }).join('\n');
  const { run } = view.results;
  const failed = view.results.runs.filter((r) => r.status === 'failed');
  const failures = failed.length
    ? `<h2>Failures during the run</h2><ul>${failed.map((r) => `<li>${esc(`${r.system} × ${r.workload}, repetition ${r.repetition}: ${r.error ?? 'failed'}`)}</li>`).join('')}</ul>`
    : '';
  const labErrors = view.results.runs.flatMap((r) => r.labErrors.map((e) => `${r.system} × ${r.workload}, repetition ${r.repetition}: ${e}`));
  const labErrorList = labErrors.length
    ? `<h2>Lab errors during the run</h2><p class="note">The lab's own failures, not the systems': what they concern is not among the samples.</p><ul>${labErrors.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>`
    : '';
  const data = { colors: systemColors(view.systems), charts: charts.data };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(view.scenarioName)} · ${esc(run.id)} · mplab</title>
<style>${STYLE}</style></head>
<body>
<h1>${esc(view.scenarioName)}</h1>
<p class="sub">run ${esc(run.id)} · ${esc(run.startedAt)} to ${esc(run.finishedAt)}${run.quick ? ' · quick' : ''} · ${run.repeat} repetitions (+${run.warmup} warm-up) · git ${esc(view.results.environment.git.revision.slice(0, 12))}${view.results.environment.git.dirty ? ' (dirty)' : ''}<br>systems: ${esc(view.systems.join(', '))} · workloads: ${esc(view.workloads.join(', ') || 'none')}</p>
<h2>Headline</h2>
${headlineHtml(headline(view))}
${impreciseHtml(run)}
${failures}
${labErrorList}
<h2>Charts</h2>
${chartSections}
<h2>Run protocol</h2>
${repetitionsHtml(run)}
<h3>Blocks and emulator health</h3>
${blocksHtml(view.results.blocks)}
<h2>Links</h2>
<h3>Configured</h3>
${linkModelsHtml(view.links)}
<h3>Measured by the emulators during the run</h3>
${linkCountersHtml(view.links, view.results.links)}
<h2>Scenario</h2>
<details><summary>the scenario as parsed (model units: bit/s, ms, bytes, probabilities)</summary>${valueHtml(view.results.scenario)}</details>
<h2>Environment</h2>
<p>${esc(`kernel ${view.results.environment.kernel} · ${view.results.environment.cpus.count} × ${view.results.environment.cpus.model} · node ${view.results.environment.node} · congestion control ${view.results.environment.congestionControl} · link backend ${view.results.environment.linkBackend}`)}</p>
<details><summary>everything recorded: sysctls per namespace, program versions, git</summary>${valueHtml(view.results.environment)}</details>
<h2>Files</h2>
${filesHtml(input.files)}
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${chartJs}</script>
<script>${clientJs}</script>
</body></html>
`;
}
