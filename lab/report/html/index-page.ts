// reports/index.html: every run, newest first, grouped by scenario, and for each
// scenario with two or more runs a side-by-side of two of them (the latest two unless
// the reader picks others): every metric's median in both, the change, and whether it
// is one (the 95 % intervals separate, and the change is beyond the gate's noise floor).
// The gate itself decides on samples; this page has only the summaries.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Results } from '../results.ts';
import { STYLE } from './assets.ts';
import { esc, scriptJson } from './escape.ts';
import { shownUnit } from './format.ts';
import { noisePolicy } from '../../gate/noise.ts';

export interface RunEntry {
  scenarioName: string;
  /** The run directory's name (its timestamp). */
  runId: string;
  /** index.html of the run, relative to the reports directory. */
  href: string;
  systems: string[];
  workloads: string[];
  summary: Results['summary'];
  metrics: Results['metrics'];
}

interface MetricMeta {
  better: string;
  unit: string;
  /** The gate's noise floor: a change must exceed both to be called better or worse. */
  relative: number;
  absolute: number;
}

/** Per metric key, what the page script needs to judge a change as the gate would. */
function metricMeta(runs: RunEntry[]): Record<string, MetricMeta> {
  const meta: Record<string, MetricMeta> = {};
  for (const run of runs) {
    for (const [key, info] of Object.entries(run.metrics)) {
      const policy = noisePolicy(info);
      meta[key] ??= { better: info.better, unit: shownUnit(info.unit), relative: policy?.relative ?? 0, absolute: policy?.absolute ?? 0 };
    }
  }
  return meta;
}

function runListHtml(scenario: string, runs: RunEntry[]): string {
  const rows = runs.map(
    (r) => `<tr><td><a href="${esc(encodeURI(r.href))}">${esc(r.runId)}</a></td><td>${esc(r.systems.join(', '))}</td><td>${esc(r.workloads.join(', '))}</td></tr>`,
  );
  const compare =
    runs.length >= 2
      ? `<div class="compare" data-scenario="${esc(scenario)}"><h3>Side by side</h3>
<label>before <select class="run-a">${runs.map((r, i) => `<option value="${esc(r.runId)}"${i === 1 ? ' selected' : ''}>${esc(r.runId)}</option>`).join('')}</select></label>
<label>after <select class="run-b">${runs.map((r, i) => `<option value="${esc(r.runId)}"${i === 0 ? ' selected' : ''}>${esc(r.runId)}</option>`).join('')}</select></label>
<div class="compare-table"></div></div>`
      : '<p class="note">One run of this scenario so far: a side-by-side needs two.</p>';
  return `<h2>${esc(scenario)}</h2><table class="plain"><thead><tr><th>run</th><th>systems</th><th>workloads</th></tr></thead><tbody>${rows.join('')}</tbody></table>${compare}`;
}

export function indexPageHtml(runs: RunEntry[]): string {
  const byScenario = new Map<string, RunEntry[]>();
  for (const run of [...runs].sort((a, b) => b.runId.localeCompare(a.runId))) {
    byScenario.set(run.scenarioName, [...(byScenario.get(run.scenarioName) ?? []), run]);
  }
  const sections = [...byScenario].map(([scenario, list]) => runListHtml(scenario, list)).join('\n');
  const clientJs = readFileSync(path.join(import.meta.dirname, 'index-client.js'), 'utf8').replaceAll('</script', '<\\/script');
  const data = { runs: runs.map(({ metrics: _, ...run }) => run), meta: metricMeta(runs) };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mplab runs</title><style>${STYLE}</style></head>
<body>
<h1>mplab runs</h1>
<p class="sub">${runs.length} run${runs.length === 1 ? '' : 's'} in ${byScenario.size} scenario${byScenario.size === 1 ? '' : 's'}. A change is called better or worse when the two runs' 95 % intervals of the median do not overlap and the change exceeds the gate's noise floor for that metric.</p>
${sections || '<p class="absent">No runs yet: <code>npm run scenario lossy-wisp</code> makes one.</p>'}
<script type="application/json" id="index-data">${scriptJson(data)}</script>
<script>${clientJs}</script>
</body></html>
`;
}
