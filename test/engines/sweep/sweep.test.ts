// A 4-cell sweep (2 x 2) across two Docker engines, through the CLI as a user runs it:
// interrupted (SIGINT) once a cell is done, then resumed. The resume runs exactly the
// cells that had no results and leaves the finished ones as they were; both engines ran
// cells, never two at once on one engine (by the sweep's record and by the engines' own
// container times), Ctrl-C left no container behind, and the merged report draws every
// cell. Checks scheduling, not figures.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import avaTest from 'ava';
import { execa, type ResultPromise } from 'execa';
import { readSweep, SWEEP_FILE, type Attempt, type SweepRecord } from '../../../lab/engines/sweep/journal.ts';
import { openFromDisk } from '../../report/html-helpers.ts';
import { dockerTest, EQUAL_LINKS, labContainers, testEngines } from '../helpers/engines.ts';

const test = dockerTest(2);
const CLI = path.resolve(import.meta.dirname, '../../../lab/cli.ts');
const POLL_MS = 200;
const CELL_TIMEOUT_MS = 180_000;

let outDir: string | undefined;
avaTest.after.always(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

function mplab(args: string[]): ResultPromise<{ reject: false; all: true }> {
  return execa(process.execPath, ['--import', 'tsx', CLI, ...args], { reject: false, all: true });
}

async function sweepDir(root: string): Promise<string | undefined> {
  const scenarios = await readdir(root).catch(() => []);
  const runs = scenarios.length ? await readdir(path.join(root, scenarios[0]!)).catch(() => []) : [];
  return runs.length ? path.join(root, scenarios[0]!, runs[0]!) : undefined;
}

/** Waits until the sweep has a finished cell; its directory. */
async function firstCellDone(root: string, child: { exitCode?: number | null }): Promise<string> {
  const deadline = Date.now() + CELL_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode == null) {
    const dir = await sweepDir(root);
    const record = dir ? await readSweep(dir).catch(() => undefined) : undefined;
    if (dir && record?.attempts.some((a) => a.status === 'ok')) return dir;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error('no cell finished');
}

const resultsOf = (dir: string, record: SweepRecord, cell: string) => path.join(dir, 'runs', record.scenario.name, cell, 'results.json');

function overlaps(intervals: [number, number][]): boolean {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  return sorted.some((interval, i) => i > 0 && interval[0] < sorted[i - 1]![1]);
}

test('a 4-cell sweep on two engines, interrupted after its first cell and resumed: every cell once, one at a time per engine, all drawn', async (t) => {
  const engines = testEngines(2);
  outDir = await mkdtemp(path.join(tmpdir(), 'mplab-sweep-'));
  const engineArg = engines.map((e) => e.url).join(',');
  const sweep = mplab([
    'sweep', EQUAL_LINKS, '--set', 'links.a.loss=0%,1%', '--set', 'links.b.delay=15ms,30ms',
    '--engines', engineArg, '--quick', '--systems', 'mprelay', '--workloads', 'connect', '--out', outDir,
  ]);
  const dir = await firstCellDone(outDir, sweep);
  sweep.kill('SIGINT');
  const interrupted = await sweep;
  t.is(interrupted.exitCode, 130, interrupted.all);
  for (const engine of engines) t.deepEqual(await labContainers(engine), [], `Ctrl-C left containers on ${engine.url}`);

  const before = await readSweep(dir);
  t.is(before.cells.length, 4);
  const hasResults = (record: SweepRecord, cell: string) => stat(resultsOf(dir, record, cell)).then(() => true, () => false);
  const doneBefore = (await Promise.all(before.cells.map(async (c) => ((await hasResults(before, c.id)) ? [c.id] : [])))).flat();
  t.deepEqual(before.cells.filter((c) => before.attempts.some((a) => a.cell === c.id && a.status === 'ok')).map((c) => c.id), doneBefore, 'recorded done = has results');
  t.true(doneBefore.length >= 1 && doneBefore.length < 4, `done before the resume: ${doneBefore.join(', ')}`);
  t.true(before.attempts.every((a) => a.status === 'ok' || a.status === 'interrupted'), JSON.stringify(before.attempts.map((a) => a.status)));
  const mtimes = await Promise.all(doneBefore.map((cell) => stat(resultsOf(dir, before, cell)).then((s) => s.mtimeMs)));
  const runIdOf = async (cell: string) => (JSON.parse(await readFile(resultsOf(dir, before, cell), 'utf8')) as { run: { id: string } }).run.id;
  const runIds = await Promise.all(doneBefore.map(runIdOf));

  const resumed = await mplab(['sweep', '--resume', dir]);
  t.is(resumed.exitCode, 0, resumed.all);
  const after = await readSweep(dir);
  const resumedAttempts = after.attempts.filter((a) => a.invocation === 1);
  t.deepEqual(
    resumedAttempts.map((a) => a.cell).sort(),
    after.cells.map((c) => c.id).filter((id) => !doneBefore.includes(id)).sort(),
    'the resume runs exactly the cells without results',
  );
  t.true(resumedAttempts.every((a) => a.status === 'ok'), JSON.stringify(resumedAttempts));
  t.deepEqual(await Promise.all(doneBefore.map((cell) => stat(resultsOf(dir, after, cell)).then((s) => s.mtimeMs))), mtimes, 'finished cells kept as they were');
  t.deepEqual(await Promise.all(doneBefore.map(runIdOf)), runIds);
  for (const cell of after.cells) t.truthy(await stat(resultsOf(dir, after, cell.id)), `${cell.id} has results`);

  const ok = after.attempts.filter((a) => a.status === 'ok');
  t.deepEqual([...new Set(ok.map((a) => a.engine))].sort(), engines.map((e) => e.url).sort(), 'both engines ran cells');
  for (const engine of engines) {
    const mine = after.attempts.filter((a) => a.engine === engine.url);
    const host = (a: Attempt): [number, number] => [Date.parse(a.startedAt), Date.parse(a.finishedAt!)];
    t.false(overlaps(mine.map(host)), `two attempts at once on ${engine.url}`);
    const containers = mine.flatMap((a): [number, number][] => (a.container ? [[Date.parse(a.container.startedAt), Date.parse(a.container.finishedAt)]] : []));
    t.false(overlaps(containers), `two containers at once on ${engine.url} (by the engine's clock)`);
  }
  for (const engine of engines) t.deepEqual(await labContainers(engine), [], `containers left on ${engine.url}`);

  const page = await openFromDisk(path.join(dir, 'index.html'), { width: 1280, height: 3000 });
  try {
    t.deepEqual(page.consoleErrors, []);
    t.deepEqual(page.networkRequests, []);
    // The cells each time-to-first-byte chart drew a point for (Chart.js's own element positions).
    const drawn = await page.page.$$eval('section[data-metric="connect.ttfb_ms"] canvas', (canvases) =>
      canvases.map((canvas) => {
        const chart = (window as unknown as { Chart: { getChart(c: Element): { data: { datasets: { role?: string; cells?: string[]; data: (number | null)[] }[] }; getDatasetMeta(i: number): { data: { x: number; y: number }[] } } } }).Chart.getChart(canvas)!;
        return chart.data.datasets.flatMap((dataset, i) =>
          dataset.role === 'median' ? chart.getDatasetMeta(i).data.flatMap((point, j) => (dataset.data[j] !== null && Number.isFinite(point.x) && Number.isFinite(point.y) ? [dataset.cells![j]!] : [])) : [],
        );
      }),
    );
    t.is(drawn.length, 4, 'two fields x two values of the other: four charts');
    t.deepEqual([...new Set(drawn.flat())].sort(), after.cells.map((c) => c.id).sort(), 'every cell is drawn');
    for (const cells of drawn) t.is(cells.length, 2, 'each chart: one point per value of its field');
    const rows = await page.page.$$eval('section[data-metric="connect.ttfb_ms"] table tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('td:not(.none)').length));
    t.deepEqual(rows, [1, 1, 1, 1], 'the table has every cell with its value');
  } finally {
    await page.close();
  }
  t.true((await readdir(dir)).includes(SWEEP_FILE));
});

avaTest('a sweep with a cell the scenario validation refuses does not start: the field and the --set are named, no directory is made', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'mplab-sweep-bad-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const result = await mplab(['sweep', EQUAL_LINKS, '--set', 'links.a.loss=0%,60%', '--set', 'links.b.delay=15ms', '--engines', 'unix:///nonexistent/docker.sock', '--out', root]);
  t.is(result.exitCode, 2, result.all);
  t.is(
    result.all,
    [
      'mplab: invalid scenario',
      `${EQUAL_LINKS} (--set links.a.loss=60% --set links.b.delay=15ms):10:11: links.a.down.loss: 60% is out of range: allowed 0% to 50%`,
      `${EQUAL_LINKS} (--set links.a.loss=60% --set links.b.delay=15ms):11:9: links.a.up.loss: 60% is out of range: allowed 0% to 50%`,
    ].join('\n'),
  );
  t.deepEqual(await readdir(root), []);
});
