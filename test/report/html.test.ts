// A generated report opened in real headless Chromium from disk: every chart the run's
// data allows is drawn (its canvas has ink), the others say why in their place, there
// are no console errors and no network requests. Screenshots are saved under
// reports/screenshots/ (not committed) for a person to look at.
import test from 'ava';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildReport } from '../../lab/report/html/build.ts';
import { chartSet } from '../../lab/report/html/chart-data.ts';
import { runView } from '../../lab/report/html/run-view.ts';
import type { Results } from '../../lab/report/results.ts';
import { fixture, inkedShare, openFromDisk, runDirFrom, SCREENSHOTS } from './html-helpers.ts';

/** A real run of lossy-wisp's links with every workload shortened (direct-tcp, ssh-tunnel, mprelay; 2 repetitions; failover of link a and link b). */
const FULL_RUN = 'lossy-wisp-short';

test('a full run: every chart drawn, headline table, no console errors, no network', async (t) => {
  const results = await fixture(FULL_RUN);
  const runDir = await runDirFrom(t, results);
  const file = await buildReport(runDir);
  const charts = chartSet(runView(results, runDir));
  t.deepEqual(charts.absent, {}, 'the fixture has data for every chart');

  const opened = await openFromDisk(file);
  t.teardown(() => opened.close());
  const { page } = opened;
  await page.waitForSelector('body[data-charts-drawn]', { timeout: 15_000 });
  const canvases = await page.$$eval('canvas', (all) => all.map((c) => c.id));
  t.deepEqual(canvases, ['chart-ttfb-cdf', 'chart-latency', 'chart-latency-time', 'chart-pageload', 'chart-goodput', 'chart-failover-a', 'chart-failover-b']);
  // One failover chart per link, each with its outage and every fresh connection marked ok or failed.
  t.deepEqual(
    charts.data.failover!.map((w) => w.link),
    ['a', 'b'],
  );
  for (const window of charts.data.failover!) {
    t.true(window.outage.to > window.outage.from);
    t.deepEqual(
      window.attempts.map((a) => a.system),
      results.run.systems,
    );
  }
  t.true(charts.data.failover![0]!.attempts.some((a) => a.failed.length > 0), 'the recorded run has failed connections during link a down');
  // Censored values are drawn apart and counted in the headline.
  t.true(charts.data.latencyOverTime === undefined || charts.data.latencyOverTime.series.every((s) => Array.isArray(s.censored)));
  t.true((await page.$$eval('table.headline .censored', (els) => els.length)) > 0);
  // An evidence table next to the charts of every workload.
  t.deepEqual(await page.$$eval('details.evidence', (els) => els.map((e) => e.getAttribute('data-workload'))), ['connect', 'hol', 'pageload', 'throughput', 'failover']);
  t.true((await page.$$eval('h2', (hs) => hs.map((h) => h.textContent))).includes('Lab errors during the run'));
  for (const id of canvases) {
    t.is(await page.getAttribute(`#${id}`, 'data-rendered'), 'true', id);
    const ink = await inkedShare(page, `#${id}`);
    t.true(ink > 0.02, `${id}: only ${(ink * 100).toFixed(2)} % of the canvas drawn`);
  }
  // One headline row per system; each column with an interval has one best or several not separable.
  const rows = await page.$$eval('table.headline tbody tr', (trs) => trs.map((tr) => tr.querySelector('th')!.textContent));
  t.deepEqual(rows, results.run.systems);
  const columns = await page.$$eval('table.headline thead th', (ths) => ths.length - 1);
  t.true(columns >= 8, `${columns} headline columns`);
  const marks = await page.$$eval('table.headline tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.className)));
  for (let column = 0; column < columns; column++) {
    const classes = marks.map((row) => row[column]);
    const best = classes.filter((c) => c === 'best').length;
    const tied = classes.filter((c) => c === 'tied').length;
    t.true((best === 1 && tied === 0) || (best === 0 && tied !== 1), `column ${column}: ${classes.join(' ')}`);
  }
  // The run protocol: every block with its emulator health, and the imprecise metrics (or that there are none).
  t.is(await page.$$eval('table.blocks tbody tr', (trs) => trs.length), results.blocks.length);
  t.regex(await page.$eval('table.blocks thead', (el) => el.textContent ?? ''), /link a lateness p50 \/ p99 \/ max \(us\).*real-time priority/);
  t.regex(await page.textContent('body') ?? '', results.run.imprecise.length ? /These headline metrics stayed imprecise/ : /Every headline metric's 95 % interval is within/);
  t.deepEqual(opened.consoleErrors, []);
  t.deepEqual(opened.networkRequests, []);
  // Links to the CSV files resolve next to the report.
  const hrefs = await page.$$eval('ul.files a', (as) => as.map((a) => a.getAttribute('href')));
  t.true(hrefs.includes('samples.csv') && hrefs.includes('summary.csv'));

  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'run-report.png'), fullPage: true });
});

test('a run without some workloads says so in place of those charts', async (t) => {
  // Derived from the recorded run: the same results with only the connect workload
  // kept, as a run with `--workloads connect` would leave them.
  const results = await fixture(FULL_RUN);
  const only = (w: string) => w === 'connect';
  const trimmed: Results = {
    ...results,
    run: { ...results.run, workloads: results.run.workloads.filter(only) },
    runs: results.runs.filter((r) => only(r.workload)),
    samples: results.samples.filter((s) => only(s.workload)),
    timelines: results.timelines.filter((s) => only(s.workload)),
    summary: Object.fromEntries(Object.entries(results.summary).map(([system, w]) => [system, { connect: w?.connect }])),
  };
  const file = await buildReport(await runDirFrom(t, trimmed));

  const opened = await openFromDisk(file);
  t.teardown(() => opened.close());
  const { page } = opened;
  await page.waitForSelector('body[data-charts-drawn]', { timeout: 15_000 });
  t.deepEqual(await page.$$eval('canvas', (all) => all.map((c) => c.id)), ['chart-ttfb-cdf']);
  t.true((await inkedShare(page, '#chart-ttfb-cdf')) > 0.005);
  const absent = await page.$$eval('section.chart-section .absent', (ps) => ps.map((p) => p.textContent ?? ''));
  t.is(absent.length, 5);
  t.true(absent.every((text) => /was not run/.test(text)));
  t.deepEqual(opened.consoleErrors, []);
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'run-report-connect-only.png'), fullPage: true });
});

test('a run directory without results.json is refused with the reason', async (t) => {
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'mplab-empty-'));
  t.teardown(() => rm(runDir, { recursive: true, force: true }));
  await t.throwsAsync(buildReport(runDir), { name: 'RunInputError', message: /no results\.json in this directory/ });
});
