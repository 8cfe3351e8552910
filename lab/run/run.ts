// One scenario run: build the topology once, then run the blocks of plan.ts. Each
// system starts fresh for its block of workloads and is stopped after it (the probes,
// the lab's instruments, stay up across blocks); a system or workload that fails is
// recorded as failed and the run goes on. Writes
// <outDir>/<scenario>/<timestamp>/{results.json, samples.csv, summary.csv, logs/}.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { LinkBackendName } from '../links/model.ts';
import { writeCsvFiles } from '../report/csv.ts';
import { writeResults, type Results } from '../report/results.ts';
import { WORKLOAD_NAMES, type Scenario, type SystemNameInScenario, type WorkloadName } from '../scenario/schema.ts';
import { systemsByName } from '../systems/index.ts';
import type { RunningSystem } from '../systems/system.ts';
import { buildTopology } from '../topology/build.ts';
import type { Topology } from '../topology/types.ts';
import { runWithEvidence } from '../workloads/evidence.ts';
import { WORKLOADS } from '../workloads/index.ts';
import { ProbePool, type Probes } from '../workloads/probes.ts';
import { Collector } from './collect.ts';
import { captureEnvironment } from './environment.ts';
import { planBlocks, plannedStepMs, plannedTotalMs, type Block } from './plan.ts';
import { Estimator, progressPrinter, type ProgressEvent } from './progress.ts';
import { quickScenario } from './quick.ts';

export const REPORTS_DIR = path.resolve(import.meta.dirname, '../../reports');

export interface RunOptions {
  /** Root of the reports tree (default: reports/ in the repository). */
  outDir?: string;
  /** Systems to run (default: the scenario's), in this order within each repetition. */
  systems?: SystemNameInScenario[];
  /** Workloads to run (default: every workload the scenario sets). */
  workloads?: WorkloadName[];
  /** Repetitions (default: the scenario's). */
  repeat?: number;
  /** A short smoke run: see quick.ts. */
  quick?: boolean;
  /** Link backend (default: the scenario's). */
  backend?: 'auto' | LinkBackendName;
  /** Progress events (default: printed to stderr). */
  onProgress?: (event: ProgressEvent) => void;
}

export interface RunOutcome {
  runDir: string;
  results: Results;
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What every block of one run shares. */
interface RunContext {
  topology: Topology;
  probePool: ProbePool;
  collector: Collector;
  estimator: Estimator;
  logsDir: string;
  startedAt: Date;
  total: number;
  step: number;
  onProgress: (event: ProgressEvent) => void;
}

export async function runScenario(input: Scenario, options: RunOptions = {}): Promise<RunOutcome> {
  const base = options.quick ? quickScenario(input) : input;
  const scenario: Scenario = { ...base, repeat: options.repeat ?? base.repeat };
  const systems = options.systems ?? scenario.systems;
  const workloads = options.workloads ?? WORKLOAD_NAMES.filter((w) => scenario.workloads[w] !== undefined);
  for (const name of workloads) WORKLOADS[name].validate(scenario);
  const blocks = planBlocks(scenario, systems, workloads);

  const startedAt = new Date();
  const runDir = path.join(options.outDir ?? REPORTS_DIR, scenario.name, timestamp(startedAt));
  const logsDir = path.join(runDir, 'logs');
  await mkdir(logsDir, { recursive: true });

  const topology = await buildTopology(scenario, { runDir: path.join(logsDir, 'topology'), backend: options.backend });
  const context: RunContext = {
    topology,
    probePool: new ProbePool(topology, logsDir),
    collector: new Collector(),
    estimator: new Estimator(plannedTotalMs(blocks)),
    logsDir,
    startedAt,
    total: blocks.reduce((n, b) => n + b.workloads.length, 0),
    step: 0,
    onProgress: options.onProgress ?? progressPrinter(),
  };
  let environment: Results['environment'];
  const links: Results['links'] = {};
  try {
    environment = await captureEnvironment(topology, systems.flatMap((name) => systemsByName[name] ?? []));
    for (const block of blocks) await runBlock(context, block);
    for (const name of ['a', 'b'] as const) links[name] = await topology.links[name].counters();
  } finally {
    await context.probePool.stop();
    await topology.destroy();
  }

  const run = {
    id: topology.runId,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: options.quick ?? false,
    repeat: scenario.repeat,
    warmup: scenario.warmup,
    systems,
    workloads,
  };
  const results = context.collector.results(scenario, run, environment, links);
  await writeResults(path.join(runDir, 'results.json'), results);
  await writeCsvFiles(runDir, results);
  return { runDir, results };
}

/** Starts the block's system (fresh), runs its workloads, stops it. Failures are recorded, not thrown. */
async function runBlock(context: RunContext, block: Block): Promise<void> {
  const blockDir = path.join(context.logsDir, `${block.phase === 'warmup' ? 'warmup' : 'rep'}-${block.repetition}`, block.system);
  await mkdir(blockDir, { recursive: true });
  let running: RunningSystem | undefined;
  let probes: Probes | undefined;
  let startError: string | null = null;
  try {
    const adapter = systemsByName[block.system];
    if (!adapter) throw new Error(`system ${block.system} is not available (known: ${Object.keys(systemsByName).join(', ')})`);
    running = await adapter.start(context.topology, blockDir);
    probes = await context.probePool.for(running);
  } catch (error) {
    startError = describeError(error);
  }
  for (const workload of block.workloads) {
    const event = { phase: block.phase, step: ++context.step, total: context.total, system: block.system, workload, repetition: block.repetition, repeat: block.scenario.repeat };
    const elapsedMs = () => Date.now() - context.startedAt.getTime();
    context.onProgress({ ...event, kind: 'start', elapsedMs: elapsedMs(), remainingMs: context.estimator.remainingMs() });
    const startedAt = new Date();
    let error = running && probes ? null : (startError ?? 'the system did not start');
    const key = { system: block.system, workload, repetition: block.repetition };
    if (running && probes) {
      try {
        const run = await runWithEvidence(WORKLOADS[workload], { scenario: block.scenario, topology: context.topology, system: running, serverProbe: probes.server, clientProbe: probes.client });
        if (block.phase === 'measure') context.collector.ok(key, startedAt, run);
      } catch (thrown) {
        error = describeError(thrown);
      }
    }
    if (error !== null && block.phase === 'measure') context.collector.failed(key, startedAt, error);
    context.estimator.done(plannedStepMs(block, workload), Date.now() - startedAt.getTime());
    context.onProgress({
      ...event,
      kind: 'end',
      status: error === null ? 'ok' : 'failed',
      ...(error !== null && { error }),
      elapsedMs: elapsedMs(),
      remainingMs: context.estimator.remainingMs(),
    });
  }
  const stopError = await running?.stop().then(
    () => null,
    (thrown: unknown) => describeError(thrown),
  );
  if (stopError && block.phase === 'measure') context.collector.note(block.system, block.repetition, `stopping ${block.system}: ${stopError}`);
}
