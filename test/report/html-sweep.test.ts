// A sweep's report from recorded runs: two cells done, one failed, one not run yet. The
// page opens from disk with no errors and no network, every done cell is drawn (by
// Chart.js, per system) and listed with its figures, and the others say why they are not.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { buildSweepReport, type SweepCellEntry } from '../../lab/report/html/sweep-build.ts';
import { fixture, openFromDisk, runDirFrom } from './html-helpers.ts';

const AXES = [
  { path: 'links.a.loss', values: ['0%', '1%'] },
  { path: 'links.b.delay', values: ['10ms', '30ms'] },
];

async function sweepDir(t: import('ava').ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mplab-sweep-report-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cell = (id: string, loss: string, delay: string, rest: Partial<SweepCellEntry>): SweepCellEntry => ({
    id,
    settings: [
      { path: 'links.a.loss', value: loss },
      { path: 'links.b.delay', value: delay },
    ],
    status: 'pending',
    error: null,
    engine: null,
    runDir: null,
    ...rest,
  });
  const runA = await runDirFrom(t, await fixture('ci-smoke-a'), path.join(dir, 'runs/ci-smoke/01'));
  const runB = await runDirFrom(t, await fixture('ci-smoke-b'), path.join(dir, 'runs/ci-smoke/02'));
  await buildSweepReport(dir, {
    scenarioName: 'ci-smoke',
    axes: AXES,
    cells: [
      cell('01', '0%', '10ms', { status: 'done', engine: 'unix:///a.sock', runDir: runA }),
      cell('02', '0%', '30ms', { status: 'done', engine: 'unix:///b.sock', runDir: runB }),
      cell('03', '1%', '10ms', { status: 'failed', engine: 'unix:///a.sock', error: 'the run in the container exited with 1:\nmplab: boom' }),
      cell('04', '1%', '30ms', {}),
    ],
  });
  return dir;
}

test('the report draws every done cell per system, and lists failed and pending cells with why', async (t) => {
  const dir = await sweepDir(t);
  const html = await readFile(path.join(dir, 'index.html'), 'utf8');
  t.true(html.includes('href="runs/ci-smoke/01/index.html"'));
  const page = await openFromDisk(path.join(dir, 'index.html'), { width: 1280, height: 3000 });
  t.teardown(() => page.close());
  t.deepEqual(page.consoleErrors, []);
  t.deepEqual(page.networkRequests, []);
  const statuses = await page.page.$$eval('h2 + .scroll table tbody tr', (rows) => rows.map((r) => r.querySelectorAll('td')[2]!.textContent));
  t.deepEqual(statuses, ['done', 'done', 'failed: the run in the container exited with 1:', 'not run yet']);
  const systems = (await fixture('ci-smoke-a')).run.systems;
  const drawn = await page.page.$$eval('section[data-metric="connect.ttfb_ms"] canvas', (canvases) =>
    canvases.map((canvas) => {
      const chart = (window as unknown as { Chart: { getChart(c: Element): { data: { datasets: { label: string; role?: string; cells?: string[]; data: (number | null)[] }[] }; getDatasetMeta(i: number): { data: { x: number; y: number }[] } } } }).Chart.getChart(canvas)!;
      return chart.data.datasets.flatMap((dataset, i) =>
        dataset.role === 'median' ? chart.getDatasetMeta(i).data.flatMap((p, j) => (dataset.data[j] !== null && Number.isFinite(p.y) ? [`${dataset.cells![j]} ${dataset.label}`] : [])) : [],
      );
    }),
  );
  t.is(drawn.length, 4, 'per swept field, one chart per value of the other');
  t.deepEqual([...new Set(drawn.flat())].sort(), ['01', '02'].flatMap((cell) => systems.map((s) => `${cell} ${s}`)).sort());
  const rows = await page.page.$$eval('section[data-metric="connect.ttfb_ms"] table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.classList.contains('none'))));
  t.deepEqual(rows, [systems.map(() => false), systems.map(() => false), systems.map(() => true), systems.map(() => true)]);
});
