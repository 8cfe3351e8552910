// One scenario run: a warm-up round, then repetitions of every system in a rotated
// order until the repeat policy says stop (repetitions.ts), each block in a topology
// of its own (block.ts). A block whose link emulators ran late is run again once. A
// system or workload that fails is recorded as failed and the run goes on. Writes
// <outDir>/<scenario>/<timestamp>/{results.json, samples.csv, summary.csv, logs/}.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { LinkBackendName } from '../links/model.ts';
import { writeCsvFiles } from '../report/csv.ts';
import { headlineColumns } from '../report/headline-columns.ts';
import { writeResults, type BlockRecord, type Results, type RunInfo } from '../report/results.ts';
import { MIN_AUTO_REPETITIONS, WORKLOAD_NAMES, type Scenario, type SystemNameInScenario, type WorkloadName } from '../scenario/schema.ts';
import { systemsByName } from '../systems/index.ts';
import { newRunId } from '../topology/build.ts';
import { WORKLOADS } from '../workloads/index.ts';
import { runBlock, type BlockContext } from './block.ts';
import { Collector } from './collect.ts';
import { linkTotals } from './link-totals.ts';
import { captureEnvironment } from './environment.ts';
import { LATENESS_P99_LIMIT_US } from './health.ts';
import { repetitionBlocks, warmupBlocks, type Block } from './plan.ts';
import { progressPrinter, ProgressTracker, type ProgressEvent } from './progress.ts';
import { quickScenario } from './quick.ts';
import { impreciseMetrics, nextRepetition, repeatPolicy, type Decision, type ImpreciseMetric } from './repetitions.ts';

export const REPORTS_DIR = path.resolve(import.meta.dirname, '../../reports');

export interface RunOptions {
  /** Root of the reports tree (default: reports/ in the repository). */
  outDir?: string;
  /** Systems to run (default: the scenario's); repetition 1 runs them in this order, later ones rotated. */
  systems?: SystemNameInScenario[];
  /** Workloads to run (default: every workload the scenario sets). */
  workloads?: WorkloadName[];
  /** Repetitions, or 'auto' (default: the scenario's). */
  repeat?: number | 'auto';
  /** For repeat: auto, the scenario's precision (0.1 = ±10 %) and budget (ms of wall time). */
  precision?: number;
  budgetMs?: number;
  /** A short smoke run: see quick.ts. */
  quick?: boolean;
  /** Link backend (default: the scenario's). */
  backend?: 'auto' | LinkBackendName;
  /** Progress events (default: printed to stderr). */
  onProgress?: (event: ProgressEvent) => void;
  /** The run's own messages: another repetition or not, a block run again (default: stderr). */
  onNote?: (line: string) => void;
}

export interface RunOutcome {
  runDir: string;
  results: Results;
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** The scenario as this run will run it: --quick, then the command line's repeat, precision and budget. */
export function effectiveScenario(input: Scenario, options: Pick<RunOptions, 'quick' | 'repeat' | 'precision' | 'budgetMs' | 'workloads'>): Scenario {
  if (options.quick) return quickScenario(input, options.workloads);
  return { ...input, repeat: options.repeat ?? input.repeat, precision: options.precision ?? input.precision, budget: options.budgetMs ?? input.budget };
}

function timing(blocks: readonly BlockRecord[], wallMs: number): RunInfo['timing'] {
  const total = (f: (b: BlockRecord) => number) => blocks.reduce((ms, b) => ms + f(b), 0);
  return {
    wallMs,
    inWorkloadsMs: total((b) => b.workloads.reduce((ms, w) => ms + w.durationMs, 0)),
    setupMs: total((b) => b.setupMs),
    quietWaitMs: total((b) => b.workloads.reduce((ms, w) => ms + w.quietWaitMs, 0)),
    teardownMs: total((b) => b.teardownMs),
  };
}

/** Runs a block; if its emulators ran late, forgets its samples and runs it once more. */
async function runKeptBlock(context: BlockContext, block: Block, note: (line: string) => void): Promise<void> {
  const first = await runBlock(context, block, 1);
  if (block.phase !== 'measure' || !first.health?.bad) {
    context.collector.block(first);
    return;
  }
  context.collector.discard(block.system, block.repetition);
  context.collector.block({ ...first, kept: false, flags: [...first.flags, 'run again: its samples are not kept'] });
  note(`mplab: ${block.system} rep ${block.repetition}: link emulator lateness p99 ${first.health.worstLatenessP99Us} us > ${LATENESS_P99_LIMIT_US} us; running the block again`);
  context.progress.plan([block]);
  const second = await runBlock(context, block, 2);
  if (second.health?.bad) second.flags.push(`lateness stayed above ${LATENESS_P99_LIMIT_US} us when run again: this block's figures are suspect`);
  context.collector.block(second);
}

interface Repetitions {
  /** The system order of each repetition made. */
  order: SystemNameInScenario[][];
  /** Why the last one was the last. */
  decision: Decision;
}

/** Headline metrics imprecise so far (only those are summarised: goodput's keys are known once it has samples). */
function impreciseSoFar(collector: Collector, systems: readonly SystemNameInScenario[], precision: number): ImpreciseMetric[] {
  const headline = new Set(headlineColumns(collector.metricTable()).map((c) => c.metric));
  return impreciseMetrics(collector.summary((m) => headline.has(m)), collector.metricTable(), systems, precision);
}

/** Repetitions, each every system in its rotated order, until the policy says stop. */
async function runRepetitions(context: BlockContext, scenario: Scenario, systems: SystemNameInScenario[], workloads: WorkloadName[], plannedRepetitions: number, note: (line: string) => void, startedAtMs: number): Promise<Repetitions> {
  const policy = repeatPolicy(scenario);
  const order: SystemNameInScenario[][] = [];
  const durationsMs: number[] = [];
  let decision: Decision = { more: true, reason: '' };
  while (decision.more) {
    const repetition = order.length + 1;
    const blocks = repetitionBlocks(scenario, systems, workloads, repetition);
    if (repetition > plannedRepetitions) context.progress.plan(blocks);
    order.push(blocks.map((b) => b.system));
    const repetitionStartMs = Date.now();
    for (const block of blocks) await runKeptBlock(context, block, note);
    durationsMs.push(Date.now() - repetitionStartMs);
    const imprecise = policy.kind === 'auto' ? impreciseSoFar(context.collector, systems, policy.precision) : [];
    decision = nextRepetition(policy, { durationsMs, elapsedMs: Date.now() - startedAtMs, imprecise });
    if (policy.kind === 'auto') note(`mplab: after repetition ${repetition}: ${decision.more ? 'one more' : 'stop'}: ${decision.reason}`);
  }
  return { order, decision };
}

export async function runScenario(input: Scenario, options: RunOptions = {}): Promise<RunOutcome> {
  const scenario = effectiveScenario(input, options);
  const systems = options.systems ?? scenario.systems;
  const workloads = options.workloads ?? WORKLOAD_NAMES.filter((w) => scenario.workloads[w] !== undefined);
  for (const name of workloads) WORKLOADS[name].validate(scenario);
  const policy = repeatPolicy(scenario);
  const note = options.onNote ?? ((line: string) => process.stderr.write(`${line}\n`));
  const leftOut = WORKLOAD_NAMES.filter((w) => input.workloads[w] !== undefined && scenario.workloads[w] === undefined);
  if (leftOut.length > 0) note(`mplab: --quick runs ${workloads.join(', ')}; left out: ${leftOut.join(', ')} (name them with --workloads, or run without --quick)`);

  const startedAt = new Date();
  const runDir = path.join(options.outDir ?? REPORTS_DIR, scenario.name, timestamp(startedAt));
  const logsDir = path.join(runDir, 'logs');
  await mkdir(logsDir, { recursive: true });

  const runId = newRunId();
  let topologies = 0;
  let environment: Results['environment'] | undefined;
  const collector = new Collector();
  const context: BlockContext = {
    topologyId: () => `${runId}b${++topologies}`,
    backend: options.backend,
    logsDir,
    collector,
    progress: new ProgressTracker(scenario.repeat, startedAt.getTime(), options.onProgress ?? progressPrinter()),
    onTopology: async (topology) => {
      environment ??= await captureEnvironment(topology, systems.flatMap((name) => systemsByName[name] ?? []));
    },
  };

  const warmup = warmupBlocks(scenario, systems);
  const plannedRepetitions = policy.kind === 'fixed' ? policy.repetitions : MIN_AUTO_REPETITIONS;
  context.progress.plan(warmup);
  for (let r = 1; r <= plannedRepetitions; r++) context.progress.plan(repetitionBlocks(scenario, systems, workloads, r));
  for (const block of warmup) await runKeptBlock(context, block, note);
  const { order, decision } = await runRepetitions(context, scenario, systems, workloads, plannedRepetitions, note, startedAt.getTime());

  if (!environment) throw new Error(`no block could build its topology: see the logs in ${logsDir}`);
  const finishedAt = new Date();
  const blocks = collector.blockRecords();
  const run: RunInfo = {
    id: runId,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    quick: options.quick ?? false,
    repeat: order.length,
    repeatPolicy: policy.kind === 'fixed' ? { kind: 'fixed', repetitions: policy.repetitions } : { kind: 'auto', precision: policy.precision, budgetMs: policy.budgetMs },
    stopReason: decision.reason,
    warmup: scenario.warmup,
    systems,
    workloads,
    order,
    precision: scenario.precision,
    imprecise: [],
    timing: timing(blocks, finishedAt.getTime() - startedAt.getTime()),
  };
  const results = collector.results(scenario, run, environment, linkTotals(blocks));
  results.run.imprecise = impreciseMetrics(results.summary, results.metrics, systems, scenario.precision);
  await writeResults(path.join(runDir, 'results.json'), results);
  await writeCsvFiles(runDir, results);
  return { runDir, results };
}
