// `mplab sweep`: every cell of the sweep one scenario run in a container, on whichever
// of the engines is free (one cell per engine at a time), each cell's run directory
// merged into the sweep directory, then the sweep's report. Every cell's scenario is
// validated before anything starts. Interrupted (Ctrl-C, a crash, a dead engine), the
// sweep keeps the cells that finished and `--resume DIR` runs the rest.
//
// <dir>/sweep.json                         the record (journal.ts)
// <dir>/index.html                         the sweep's report
// <dir>/runs/<scenario>/<cell>/            each cell's run directory, as `mplab run` makes it
// <dir>/runs/index.html                    the index of those runs
// <dir>/attempts/<n>-<cell>.log            what each attempt's container printed
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildIndex, buildReport } from '../../report/html/build.ts';
import { buildSweepReport } from '../../report/html/sweep-build.ts';
import { parseScenarioWith } from '../../scenario/override.ts';
import { parseScenario } from '../../scenario/load.ts';
import { connectEngine, type Engine } from '../docker-host.ts';
import { runScenarioInContainer } from '../docker-run.ts';
import { afterInterrupt, onInterrupt, wasInterrupted } from '../interrupt.ts';
import { ensureLabImage, type LabImage } from '../lab-image.ts';
import { LABEL } from '../labels.ts';
import { sweepCells, type Axis, type Cell } from './cells.ts';
import { readSweep, SweepJournal, type Attempt, type CellPlan, type SweepRecord } from './journal.ts';
import { plannedCellMs, SweepProgress } from './progress.ts';
import { runOnWorkers, type WorkOutcome } from './schedule.ts';

export interface SweepStart {
  scenarioFile: string;
  axes: Axis[];
  engines: string[];
  /** `mplab run` options for every cell. */
  runArgs: string[];
  plan: CellPlan;
  /** Sweeps root: the sweep goes to <outDir>/<scenario>/<timestamp>. */
  outDir: string;
  log: (line: string) => void;
}

export interface SweepOutcome {
  dir: string;
  total: number;
  done: number;
  /** Cells that failed in this invocation. */
  failed: string[];
  report: string;
  wallMs: number;
}

interface Worker {
  engine: Engine;
  image: LabImage;
}

const RUNS_DIR = 'runs';
/** How long Ctrl-C waits for the running cells to record themselves once their containers are gone. */
const INTERRUPT_WAIT_MS = 20_000;
const STAGING_DIR = '.staging';

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function cellRunDir(dir: string, record: SweepRecord, cell: Cell): string {
  return path.join(dir, RUNS_DIR, record.scenario.name, cell.id);
}

async function isDone(dir: string, record: SweepRecord, cell: Cell): Promise<boolean> {
  return stat(path.join(cellRunDir(dir, record, cell), 'results.json')).then(
    () => true,
    () => false,
  );
}

function cellScenario(record: SweepRecord, cell: Cell) {
  return parseScenarioWith(record.scenario.text, record.scenario.file, cell.settings);
}

/** Connects every engine and makes sure of the lab image on each (in parallel); those that fail are left out, and said why. */
async function readyWorkers(journal: SweepJournal, invocation: number, urls: readonly string[], log: (line: string) => void): Promise<Worker[]> {
  const ready = await Promise.all(
    urls.map(async (url): Promise<Worker | null> => {
      const engine = connectEngine(url);
      try {
        const image = await ensureLabImage(engine, log);
        await journal.update((r) => {
          r.invocations[invocation]!.images[url] = { ref: image.ref, built: image.built, elapsedMs: image.elapsedMs };
        });
        return { engine, image };
      } catch (error) {
        log(`sweep: ${url} left out: ${describe(error)}`);
        await journal.update((r) => {
          r.invocations[invocation]!.images[url] = { error: describe(error) };
        });
        return null;
      }
    }),
  );
  const workers = ready.filter((w): w is Worker => w !== null);
  if (workers.length === 0) throw new Error(`no engine can run the sweep (${urls.join(', ')}); see above`);
  return workers;
}

/** Runs one cell on one engine and records the attempt; 'engine-failed' when the engine, not the run, failed. */
async function runCell(journal: SweepJournal, invocation: number, cell: Cell, worker: Worker, progress: SweepProgress, log: (line: string) => void): Promise<WorkOutcome> {
  const { dir } = journal;
  const record = journal.current;
  const { scenario, text } = cellScenario(record, cell);
  const attempt: Attempt = {
    cell: cell.id,
    engine: worker.engine.url,
    invocation,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    status: 'running',
    error: null,
    image: worker.image.ref,
    container: null,
    log: path.posix.join('attempts', `${record.attempts.length}-${cell.id}.log`),
  };
  await journal.update((r) => r.attempts.push(attempt));
  progress.started(cell.id, worker.engine.url);
  log(progress.line());
  const startedAt = Date.now();
  let finish: Pick<Attempt, 'status' | 'error' | 'container'>;
  try {
    const result = await runScenarioInContainer(
      {
        engine: worker.engine,
        image: worker.image,
        scenarioText: text,
        scenarioName: scenario.name,
        runArgs: record.runArgs,
        destination: () => cellRunDir(dir, record, cell),
        labels: { [LABEL.sweep]: dir, [LABEL.cell]: cell.id },
      },
      path.join(dir, STAGING_DIR),
    );
    await mkdir(path.join(dir, 'attempts'), { recursive: true });
    await writeFile(path.join(dir, attempt.log!), `${result.output.join('\n')}\n`);
    if (result.runDir) await buildReport(result.runDir);
    const { containerId, privilege, startedAt: containerStartedAt, finishedAt: containerFinishedAt, exitCode } = result.outcome;
    finish = {
      status: result.runDir ? 'ok' : wasInterrupted() ? 'interrupted' : 'failed',
      error: result.runDir || !wasInterrupted() ? result.error : 'interrupted (Ctrl-C)',
      container: { id: containerId, privilege, startedAt: containerStartedAt, finishedAt: containerFinishedAt, exitCode },
    };
  } catch (error) {
    // The engine did not do what was asked (create, start, copy): not the cell's fault.
    const interrupted = wasInterrupted();
    await journal.update(() =>
      Object.assign(attempt, { status: interrupted ? 'interrupted' : 'failed', error: interrupted ? 'interrupted (Ctrl-C)' : `engine: ${describe(error)}`, log: null, finishedAt: new Date().toISOString() }),
    );
    progress.retired(cell.id);
    if (!interrupted) log(`sweep: ${worker.engine.url} failed (${describe(error).split('\n')[0]}); it takes no more cells, ${cell.id} goes back to the queue`);
    return 'engine-failed';
  }
  await journal.update(() => Object.assign(attempt, finish, { finishedAt: new Date().toISOString() }));
  if (finish.status === 'interrupted') return 'done';
  progress.finished(cell.id, finish.status === 'ok', Date.now() - startedAt);
  if (finish.status !== 'ok') log(`sweep: cell ${cell.id} failed on ${worker.engine.url}: ${(finish.error ?? '').split('\n')[0]}`);
  log(progress.line());
  return 'done';
}

async function writeReports(journal: SweepJournal): Promise<string> {
  const { dir, current: record } = journal;
  const cells = await Promise.all(
    record.cells.map(async (cell) => {
      const last = record.attempts.filter((a) => a.cell === cell.id).at(-1);
      const done = await isDone(dir, record, cell);
      return {
        id: cell.id,
        settings: cell.settings,
        status: done ? ('done' as const) : last?.status === 'failed' ? ('failed' as const) : ('pending' as const),
        error: done ? null : (last?.error ?? null),
        engine: last?.engine ?? null,
        runDir: done ? cellRunDir(dir, record, cell) : null,
      };
    }),
  );
  if (cells.some((c) => c.runDir)) await buildIndex(path.join(dir, RUNS_DIR));
  return buildSweepReport(dir, { scenarioName: record.scenario.name, axes: record.axes, cells });
}

async function runSweep(journal: SweepJournal, urls: readonly string[], log: (line: string) => void): Promise<SweepOutcome> {
  const startedAt = Date.now();
  const invocation = journal.current.invocations.length;
  await journal.update((r) => r.invocations.push({ startedAt: new Date().toISOString(), finishedAt: null, engines: [...urls], images: {} }));
  const inFlight = new Set<Promise<WorkOutcome>>();
  // On Ctrl-C the containers are removed (container-run.ts); the cells running in them
  // then record themselves (a cell that finished just before stays done).
  const forget = onInterrupt(async () => {
    await Promise.race([Promise.allSettled(inFlight), new Promise((resolve) => setTimeout(resolve, INTERRUPT_WAIT_MS))]);
    await journal.update((r) => {
      const now = new Date().toISOString();
      for (const a of r.attempts) if (a.invocation === invocation && a.status === 'running') Object.assign(a, { status: 'interrupted', finishedAt: now, error: 'interrupted (Ctrl-C)' });
      r.invocations[invocation]!.finishedAt = now;
    });
  });
  try {
    const record = journal.current;
    const pending: Cell[] = [];
    for (const cell of record.cells) if (!(await isDone(journal.dir, record, cell))) pending.push(cell);
    log(`sweep: ${record.cells.length} cells, ${record.cells.length - pending.length} done already, ${pending.length} to run on ${urls.length} engine(s); ${journal.dir}`);
    if (pending.length > 0) {
      const workers = await readyWorkers(journal, invocation, urls, log);
      const planned = new Map(pending.map((cell) => [cell.id, plannedCellMs(cellScenario(record, cell).scenario, record.plan)]));
      const progress = new SweepProgress(record.cells.length, record.cells.length - pending.length, workers.length, planned);
      await runOnWorkers(
        pending,
        workers,
        (cell, worker) => {
          const running = runCell(journal, invocation, cell, worker, progress, log);
          inFlight.add(running);
          return running.finally(() => inFlight.delete(running));
        },
        wasInterrupted,
      );
      if (wasInterrupted()) await afterInterrupt();
    }
    const report = await writeReports(journal);
    await journal.update((r) => {
      r.invocations[invocation]!.finishedAt = new Date().toISOString();
    });
    const now = journal.current;
    const doneCells = (await Promise.all(now.cells.map((cell) => isDone(journal.dir, now, cell)))).filter(Boolean).length;
    const failed = now.attempts.filter((a) => a.invocation === invocation && a.status === 'failed').map((a) => a.cell);
    return { dir: journal.dir, total: now.cells.length, done: doneCells, failed: [...new Set(failed)], report, wallMs: Date.now() - startedAt };
  } finally {
    forget();
  }
}

/** A new sweep: every cell validated, the sweep directory made, then run. */
export async function startSweep(start: SweepStart): Promise<SweepOutcome> {
  const text = await readFile(start.scenarioFile, 'utf8');
  const base = parseScenario(text, start.scenarioFile);
  const cells = sweepCells(start.axes);
  for (const cell of cells) parseScenarioWith(text, start.scenarioFile, cell.settings);
  const createdAt = new Date();
  const dir = path.join(start.outDir, base.name, timestamp(createdAt));
  await mkdir(dir, { recursive: true });
  const record: SweepRecord = {
    schemaVersion: 1,
    scenario: { file: start.scenarioFile, name: base.name, text },
    axes: start.axes,
    cells,
    runArgs: start.runArgs,
    plan: start.plan,
    engines: start.engines,
    createdAt: createdAt.toISOString(),
    invocations: [],
    attempts: [],
  };
  return runSweep(new SweepJournal(dir, record), start.engines, start.log);
}

/** Runs the cells of an earlier sweep that have no results yet, on `engines` or the ones it had. */
export async function resumeSweep(dir: string, engines: string[] | undefined, log: (line: string) => void): Promise<SweepOutcome> {
  const journal = new SweepJournal(dir, await readSweep(dir));
  await journal.update((r) => {
    // An attempt still "running" belongs to a process that ended without a word (killed).
    for (const a of r.attempts) if (a.status === 'running') Object.assign(a, { status: 'interrupted', error: 'the sweep process ended before this attempt finished' });
    if (engines) r.engines = engines;
  });
  return runSweep(journal, engines ?? journal.current.engines, log);
}
