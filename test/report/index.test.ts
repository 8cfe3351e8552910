// reports/index.html over two recorded runs of the same scenario, in real Chromium:
// both runs listed with links to their reports, the side-by-side filled in, and
// picking other runs redraws it.
import test from 'ava';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildIndex } from '../../lab/report/html/build.ts';
import { fixture, openFromDisk, runDirFrom, SCREENSHOTS } from './html-helpers.ts';

/** Two real runs of scenarios/ci-smoke.yaml, the same code (A/A). */
const RUNS = { '2026-11-25T10-00-00Z': 'ci-smoke-a', '2026-11-25T11-00-00Z': 'ci-smoke-b' };

test('the index lists every run and shows the latest two side by side', async (t) => {
  const reportsDir = await mkdtemp(path.join(os.tmpdir(), 'mplab-reports-'));
  t.teardown(() => rm(reportsDir, { recursive: true, force: true }));
  for (const [runId, name] of Object.entries(RUNS)) await runDirFrom(t, await fixture(name), path.join(reportsDir, 'ci-smoke', runId));
  // A run directory still being written (no results.json yet) is listed as skipped, not fatal.
  await mkdir(path.join(reportsDir, 'ci-smoke', '2026-11-25T12-00-00Z'));
  await writeFile(path.join(reportsDir, 'ci-smoke', 'stray-file.txt'), '');

  const built = await buildIndex(reportsDir);
  t.is(built.runs, 2);
  t.is(built.skipped.length, 1);
  t.regex(built.skipped[0]!.reason, /no results\.json/);

  const opened = await openFromDisk(built.file);
  t.teardown(() => opened.close());
  const { page } = opened;
  await page.waitForSelector('.compare-table[data-rendered]', { timeout: 15_000 });
  const links = await page.$$eval('table.plain a', (as) => as.map((a) => a.getAttribute('href')));
  t.deepEqual(links, ['ci-smoke/2026-11-25T11-00-00Z/index.html', 'ci-smoke/2026-11-25T10-00-00Z/index.html']);
  t.is(await page.inputValue('.run-a'), '2026-11-25T10-00-00Z');
  t.is(await page.inputValue('.run-b'), '2026-11-25T11-00-00Z');
  const rows = await page.$$eval('table.compare tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  t.true(rows.length >= 20, `${rows.length} rows`);
  // Every row has the new median, and the old one with the change unless the metric is new.
  t.true(rows.every((cells) => cells.length === 7 && /\d/.test(cells[4]!)));
  t.true(rows.every((cells) => (cells[3] === 'not measured' ? cells[5] === 'new' : /\d/.test(cells[3]!) && /^[+-]/.test(cells[5]!))));
  // Same code twice: small drifts are seen, none is called better or worse.
  t.true(rows.every((cells) => ['within intervals', 'below noise floor', ''].includes(cells[6]!)), rows.map((c) => c.join(' ')).join('\n'));

  // The same run on both sides: nothing can have changed.
  await page.selectOption('.run-a', '2026-11-25T11-00-00Z');
  const verdicts = await page.$$eval('table.compare tbody tr td:last-child', (tds) => tds.map((td) => td.textContent));
  t.true(verdicts.length === rows.length && verdicts.every((v) => v === 'within intervals'));
  t.deepEqual(opened.consoleErrors, []);
  t.deepEqual(opened.networkRequests, []);

  await page.selectOption('.run-a', '2026-11-25T10-00-00Z');
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'reports-index.png'), fullPage: true });
});
