// reports/index.html in real Chromium, opened from disk: the history of twelve recorded
// runs of ci-smoke over three commits with one injected regression (how the runs were
// derived: test/report/history-runs.ts). Every chart has ink of every system, the
// regressed run is marked on its chart and in the runs table, hovering says what the
// gate decided, clicking the point opens that run's report; no console errors, no
// network. Then the side-by-side of any two runs, and how the page's load time grows
// from 12 to 500 runs.
import test from 'ava';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { median } from 'simple-statistics';
import type { Page } from 'playwright-core';
import { headlineColumns } from '../../lab/report/headline-columns.ts';
import { collectHistory, type HistoryRun } from '../../lab/report/history/collect.ts';
import { conditionsHash, sha256 } from '../../lab/report/history/conditions.ts';
import { inSeries } from '../../lab/report/history/series.ts';
import { buildIndex, buildReport } from '../../lab/report/html/build.ts';
import { systemColors } from '../../lab/report/html/colors.ts';
import { indexPageHtml } from '../../lab/report/html/index-page.ts';
import { FIRST_START, historyResults, REGRESSED, RUN_COUNT, runIdAt, runIds, writeHistoryRuns } from './history-runs.ts';
import { openFromDisk, runDirFrom, SCREENSHOTS } from './html-helpers.ts';

/** Twelve run directories with their reports, and the index over them: made once, read by every test. */
const built = (async () => {
  const reportsDir = await mkdtemp(path.join(os.tmpdir(), 'mplab-history-'));
  const dirs = await writeHistoryRuns({ teardown: async () => {} }, reportsDir);
  for (const dir of dirs) await buildReport(dir);
  return { reportsDir, index: await buildIndex(reportsDir) };
})();
test.after.always(async () => rm((await built).reportsDir, { recursive: true, force: true }));

/** Share of a canvas's pixels within `tolerance` of the colour (per channel): that colour's ink. */
function colourShare(page: Page, canvasId: string, hex: string, tolerance = 24): Promise<number> {
  return page.$eval(
    `#${canvasId}`,
    (canvas, [hex, tolerance]) => {
      const c = canvas as HTMLCanvasElement;
      const target = [1, 3, 5].map((i) => parseInt((hex as string).slice(i, i + 2), 16));
      const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let hits = 0;
      for (let i = 0; i < pixels.length; i += 4) if (pixels[i + 3]! > 200 && target.every((v, k) => Math.abs(pixels[i + k]! - v) <= (tolerance as number))) hits++;
      return hits / (c.width * c.height);
    },
    [hex, tolerance] as const,
  );
}

interface DrawnPoint {
  x: number;
  y: number;
  style: string;
  fill: string;
  rotation: number;
}

/** Where Chart.js drew a system's point of one run, and with what marker. */
function drawnPoint(page: Page, canvasId: string, system: string, index: number): Promise<DrawnPoint> {
  return page.$eval(
    `#${canvasId}`,
    (canvas, [system, index]) => {
      const chart = (window as unknown as { Chart: { getChart(c: Element): { data: { datasets: { label: string }[] }; getDatasetMeta(i: number): { data: { x: number; y: number; options: Record<string, unknown> }[] } } } }).Chart.getChart(canvas);
      const dataset = chart.data.datasets.findIndex((d) => d.label === system);
      const point = chart.getDatasetMeta(dataset).data[index as number]!;
      return { x: point.x, y: point.y, style: String(point.options.pointStyle), fill: String(point.options.backgroundColor), rotation: Number(point.options.rotation) };
    },
    [system, index] as const,
  );
}

test.serial('twelve runs over three commits: every chart inked, the injected regression marked, hover says why, a click opens its report', async (t) => {
  const { reportsDir, index } = await built;
  t.is(index.runs, RUN_COUNT);
  t.deepEqual(index.skipped, []);
  t.deepEqual(index.verdicts, { computed: RUN_COUNT, cached: 0 });

  const opened = await openFromDisk(index.file, { width: 1400, height: 1000 });
  t.teardown(() => opened.close());
  const { page } = opened;
  await page.waitForSelector('body[data-history-drawn]', { timeout: 15_000 });

  // One chart per headline metric of the scenario, each with data ink: mprelay's line
  // (drawn on top) and the systems' together. (Two systems of equal medians share one
  // line: connect_ms of redsocks-dante and mprelay, both the local proxy's accept.)
  // The legend alone is < 0.05 % of a canvas.
  const results = (await historyResults())[0]!;
  // (Columns of workloads the scenario does not run, pageload in ci-smoke, have no chart.)
  const columns = headlineColumns(results.metrics).filter((c) => results.run.workloads.includes(c.workload));
  const canvases = await page.$$eval('canvas', (all) => all.map((c) => c.id));
  t.is(canvases.length, columns.length);
  const colours = systemColors(results.run.systems);
  for (const [i, id] of canvases.entries()) {
    t.is(await page.getAttribute(`#${id}`, 'data-rendered'), 'true', id);
    const ink = Object.fromEntries(await Promise.all(results.run.systems.map(async (s) => [s, await colourShare(page, id, colours[s]!)] as const)));
    const total = Object.values(ink).reduce((a, b) => a + b, 0);
    const shown = JSON.stringify(Object.fromEntries(Object.entries(ink).map(([s, v]) => [s, `${(v * 100).toFixed(2)} %`])));
    t.true(ink.mprelay! > 0.002 && total > 0.01, `${columns[i]!.metric}: too little ink: ${shown}`);
  }

  // The runs table: the regressed run (gate exit 1) and the run after it (back to normal, against the regressed run) are marked, no other.
  const marks = await page.$$eval('table.runs tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-run-id'), tr.getAttribute('data-mark')]));
  const expected = [...runIds].reverse().map((id) => [id, id === runIds[REGRESSED] ? 'regression' : id === runIds[REGRESSED + 1] ? 'improvement' : 'ok']);
  t.deepEqual(marks, expected);
  const regressedRow = await page.textContent(`tr[data-run-id="${runIds[REGRESSED]}"]`);
  t.regex(regressedRow!, /REGRESSION/);
  t.regex(regressedRow!, new RegExp(`previous run of the series: ${runIds[REGRESSED - 1]}`));
  t.regex(regressedRow!, /mprelay connect ttfb_ms: REGRESSION vs baseline: p50 [\d.]+ ms \(n=\d+\) → [\d.]+ ms \(n=\d+\), \+[\d.]+ ms \(\+\d+ %\), 95 % interval \[[\d.]+, [\d.]+\] ms, noise floor [\d.]+ ms/);
  // Three series: the first run of each later commit says so and has no baseline of its own series.
  const series = await page.$$eval('table.runs tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent));
  t.deepEqual([...new Set(series)].sort(), ['1', '2', '2 (new: commit)', '3', '3 (new: commit)']);

  // On the chart: the regressed run's mprelay point is a red triangle, drawn; the next an upside-down green one; every other point plain.
  const ttfbChart = canvases[columns.findIndex((c) => c.metric === 'ttfb_ms')]!;
  const regressed = await drawnPoint(page, ttfbChart, 'mprelay', REGRESSED);
  t.like(regressed, { style: 'triangle', fill: '#b03a2e', rotation: 0 });
  t.like(await drawnPoint(page, ttfbChart, 'mprelay', REGRESSED + 1), { style: 'triangle', fill: '#1e8449', rotation: 180 });
  for (const i of [0, 3, 4, 11]) t.like(await drawnPoint(page, ttfbChart, 'mprelay', i), { style: 'circle' });
  const inside = await page.$eval(
    `#${ttfbChart}`,
    (canvas, [x, y]) => [...(canvas as HTMLCanvasElement).getContext('2d')!.getImageData(Math.round(x! + 2), Math.round(y! + 1), 1, 1).data],
    [regressed.x, regressed.y] as const,
  );
  t.deepEqual(inside, [0xb0, 0x3a, 0x2e, 255], 'the marker is painted');

  // Hovering the point says what the gate decided and against which baseline.
  await page.locator(`#${ttfbChart}`).scrollIntoViewIfNeeded();
  const box = (await page.locator(`#${ttfbChart}`).boundingBox())!;
  await page.mouse.move(box.x + regressed.x, box.y + regressed.y);
  await page.waitForSelector('#point-tip', { state: 'visible' });
  const tip = await page.textContent('#point-tip');
  t.regex(tip!, new RegExp(`${runIds[REGRESSED]} · 9a8b7c6 · series 2`));
  t.regex(tip!, new RegExp(`gate, baseline previous run of the series: ${runIds[REGRESSED - 1]}:`));
  t.regex(tip!, /REGRESSION vs baseline: p50/);
  await mkdir(SCREENSHOTS, { recursive: true });
  const screenshot = path.join(SCREENSHOTS, 'reports-index-history.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  t.log(`screenshot: ${screenshot}`);
  t.deepEqual(opened.consoleErrors, []);
  t.deepEqual(opened.networkRequests, []);

  // A click on the point opens that run's report, which draws.
  await page.mouse.click(box.x + regressed.x, box.y + regressed.y);
  await page.waitForURL(`**/ci-smoke/${runIds[REGRESSED]}/index.html`, { timeout: 15_000 });
  await page.waitForSelector('body[data-charts-drawn]', { timeout: 15_000 });
  t.regex((await page.textContent('.sub'))!, new RegExp(`run ${runIds[REGRESSED]}`));
  t.deepEqual(opened.consoleErrors, []);
  t.deepEqual(opened.networkRequests, []);
  t.truthy(await stat(path.join(reportsDir, 'ci-smoke', runIds[REGRESSED]!, 'history-entry.json')), 'the verdict is cached next to results.json');
});

test.serial('the side-by-side of any two runs: latest two by default, the regression seen when picked, nothing between a run and itself', async (t) => {
  const { index } = await built;
  const opened = await openFromDisk(index.file);
  t.teardown(() => opened.close());
  const { page } = opened;
  await page.waitForSelector('.compare-table[data-rendered]', { timeout: 15_000 });
  t.is(await page.inputValue('.run-a'), runIds[RUN_COUNT - 2]!);
  t.is(await page.inputValue('.run-b'), runIds[RUN_COUNT - 1]!);
  const rowsNow = () => page.$$eval('table.compare tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  const rows = await rowsNow();
  t.true(rows.length >= 30, `${rows.length} rows`);
  t.true(rows.every((cells) => cells.length === 7 && /\d/.test(cells[3]!) && /\d/.test(cells[4]!) && /^[+-]/.test(cells[5]!)));
  // Two recorded runs of the same code: small drifts are seen, none is called better or worse.
  t.true(rows.every((cells) => ['within intervals', 'below noise floor'].includes(cells[6]!)), rows.map((c) => c.join(' ')).join('\n'));

  await page.selectOption('.run-a', runIds[REGRESSED - 1]!);
  await page.selectOption('.run-b', runIds[REGRESSED]!);
  const worse = (await rowsNow()).filter((cells) => cells[6] === 'worse').map((cells) => cells.slice(0, 3).join(' '));
  t.deepEqual(worse, ['mprelay connect ttfb_ms']);

  await page.selectOption('.run-a', runIds[REGRESSED]!);
  t.true((await rowsNow()).every((cells) => cells[6] === 'within intervals'));
  t.deepEqual(opened.consoleErrors, []);
  t.deepEqual(opened.networkRequests, []);
});

test.serial('a run directory without results.json is listed as skipped, not fatal; stray files are ignored', async (t) => {
  const reportsDir = await mkdtemp(path.join(os.tmpdir(), 'mplab-history-'));
  t.teardown(() => rm(reportsDir, { recursive: true, force: true }));
  const [first] = await historyResults();
  await runDirFrom(t, first!, path.join(reportsDir, 'ci-smoke', runIds[0]!));
  await mkdir(path.join(reportsDir, 'ci-smoke', '2026-11-28T00-00-00Z'));
  await writeFile(path.join(reportsDir, 'ci-smoke', 'stray-file.txt'), '');
  const again = await buildIndex(reportsDir);
  t.is(again.runs, 1);
  t.deepEqual(again.skipped, [{ dir: path.join(reportsDir, 'ci-smoke', '2026-11-28T00-00-00Z'), reason: `${path.join(reportsDir, 'ci-smoke', '2026-11-28T00-00-00Z')}: no results.json in this directory (is it a run directory?)` }]);
});

/**
 * 500 synthetic runs: the compact history of the twelve recorded ones repeated (their
 * summaries and verdicts as they are), each with its own start time, and a new commit
 * every ten runs (50 series), cut into series by the index's own code.
 */
function syntheticHistory(recorded: readonly HistoryRun[], count: number): HistoryRun[] {
  const runs = Array.from({ length: count }, (_, i): HistoryRun => {
    const from = recorded[i % recorded.length]!;
    const conditions = { ...from.summary.conditions, revision: sha256(`synthetic commit ${Math.floor(i / 10)}`).slice(0, 40) };
    const startMs = FIRST_START + i * 3600_000;
    return { ...from, runId: runIdAt(startMs), summary: { ...from.summary, startedAt: new Date(startMs).toISOString(), conditions, conditionsHash: conditionsHash(conditions) } };
  });
  return inSeries(runs, (r) => ({ runId: r.runId, ...r.summary })).map(({ run, segment, changes }) => ({ ...run, segment, changes }));
}

test.serial('500 runs load about as fast as 12: the page carries compact summaries only', async (t) => {
  const { reportsDir, index } = await built;
  const history = await collectHistory(reportsDir);
  t.deepEqual(history.verdicts, { computed: 0, cached: RUN_COUNT }, 'the second build takes every verdict from the cache');
  const large = path.join(reportsDir, 'index-500.html');
  const runs = syntheticHistory(history.scenarios[0]!.runs, 500);
  t.is(new Set(runs.map((r) => r.segment)).size, 50);
  await writeFile(large, indexPageHtml({ ...history, scenarios: [{ ...history.scenarios[0]!, runs }] }));

  const opened = await openFromDisk(index.file);
  t.teardown(() => opened.close());
  const { page } = opened;
  // ms from navigation start until every chart is drawn, for each page, alternately, five times.
  const loads: Record<string, number[]> = { [index.file]: [], [large]: [] };
  for (let round = 0; round < 5; round++) {
    for (const file of [index.file, large]) {
      await page.goto(`file://${file}`);
      await page.waitForSelector('body[data-history-drawn]', { timeout: 30_000 });
      loads[file]!.push(Number(await page.getAttribute('body', 'data-history-drawn')));
    }
  }
  t.is(await page.$$eval('table.runs tbody tr', (trs) => trs.length), 500);
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'reports-index-500.png') });
  t.true(await page.$$eval('canvas', (all) => all.every((c) => c.getAttribute('data-rendered') === 'true')));
  t.deepEqual(opened.consoleErrors, []);
  t.deepEqual(opened.networkRequests, []);
  const [small, big] = [median(loads[index.file]!), median(loads[large]!)];
  const sizes = [(await stat(index.file)).size, (await stat(large)).size];
  t.log(`index load, median of 5 (ms from navigation to every chart drawn): 12 runs ${small} ms, 500 runs ${big} ms (${(big / small).toFixed(1)} x); page ${(sizes[0]! / 1e3).toFixed(0)} kB vs ${(sizes[1]! / 1e3).toFixed(0)} kB`);
  // 42 times the runs: the page's fixed cost (Chart.js, layout) dominates; far from linear.
  t.true(big / small < 12, `500 runs took ${big} ms, 12 runs ${small} ms`);
});
