// One scenario run: build the topology once, then for every repetition run each system
// in turn (A B C, A B C: machine drift hits all alike) after a warm-up round. Each
// system starts fresh for its block of workloads and is stopped after it (the probes,
// the lab's instruments, stay up across blocks); a system or workload that fails is
// recorded as failed and the run goes on. Writes
// <outDir>/<scenario>/<timestamp>/{results.json, samples.csv, summary.csv, logs/}.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { LinkBackendName } from '../links/model.ts';
import { writeCsvFiles } from '../report/csv.ts';
import { metricTable, summarizeSamples, writeResults, type Results, type ResultSample, type RunRecord } from '../report/results.ts';
import { WORKLOAD_NAMES, type Scenario, type SystemNameInScenario, type WorkloadName } from '../scenario/schema.ts';
import { systemsByName } from '../systems/index.ts';
import type { RunningSystem, SystemAdapter } from '../systems/system.ts';
import { buildTopology } from '../topology/build.ts';
import type { Topology } from '../topology/types.ts';
import { WORKLOADS } from '../workloads/index.ts';
import type { MetricInfo } from '../workloads/metrics.ts';
import { ProbePool, type Probes } from '../workloads/probes.ts';
import type { Timeline } from '../workloads/workload.ts';
import { captureEnvironment } from './environment.ts';
import { Estimator, progressPrinter, type ProgressEvent } from './progress.ts';
import { quickScenario } from './quick.ts';

export const REPORTS_DIR = path.resolve(import.meta.dirname, '../../reports');
/** Rough time to start and stop a system, for the estimate. */
const BLOCK_START_MS = 1500;
/** The warm-up round opens a few connections through each system and keeps nothing. */
const WARMUP_CONNECTIONS = 3;

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

interface Block {
  phase: 'warmup' | 'measure';
  system: SystemNameInScenario;
  repetition: number;
  workloads: WorkloadName[];
  scenario: Scenario;
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** A system the scenario names but this build lacks fails its blocks (recorded), not the whole run. */
function adapterFor(name: SystemNameInScenario): SystemAdapter {
  const adapter = systemsByName[name];
  if (!adapter) throw new Error(`system ${name} is not available (known: ${Object.keys(systemsByName).join(', ')})`);
  return adapter;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runScenario(input: Scenario, options: RunOptions = {}): Promise<RunOutcome> {
  const base = options.quick ? quickScenario(input) : input;
  const scenario: Scenario = { ...base, repeat: options.repeat ?? base.repeat };
  const systems = options.systems ?? scenario.systems;
  const adapters = systems.flatMap((name) => systemsByName[name] ?? []);
  const workloads = options.workloads ?? WORKLOAD_NAMES.filter((w) => scenario.workloads[w] !== undefined);
  for (const name of workloads) WORKLOADS[name].validate(scenario);
  const onProgress = options.onProgress ?? progressPrinter();

  const warmScenario: Scenario = { ...scenario, workloads: { ...scenario.workloads, connect: { connections: WARMUP_CONNECTIONS } } };
  const blocks: Block[] = [];
  for (let round = 1; round <= scenario.warmup; round++) {
    for (const system of systems) blocks.push({ phase: 'warmup', system, repetition: round, workloads: ['connect'], scenario: warmScenario });
  }
  for (let repetition = 1; repetition <= scenario.repeat; repetition++) {
    for (const system of systems) blocks.push({ phase: 'measure', system, repetition, workloads, scenario });
  }
  const plannedMs = (block: Block, workload: WorkloadName, index: number) =>
    WORKLOADS[workload].plannedMs(block.scenario) + (index === 0 ? BLOCK_START_MS : 0);
  const total = blocks.reduce((n, b) => n + b.workloads.length, 0);
  const estimator = new Estimator(blocks.reduce((ms, b) => ms + b.workloads.reduce((sum, w, i) => sum + plannedMs(b, w, i), 0), 0));

  const startedAt = new Date();
  const runDir = path.join(options.outDir ?? REPORTS_DIR, scenario.name, timestamp(startedAt));
  const logsDir = path.join(runDir, 'logs');
  await mkdir(logsDir, { recursive: true });

  const samples: ResultSample[] = [];
  const timelines: Results['timelines'] = [];
  const runs: RunRecord[] = [];
  const metricInfos = new Map<string, MetricInfo>();
  let step = 0;

  const topology = await buildTopology(scenario, { runDir: path.join(logsDir, 'topology'), backend: options.backend });
  const probePool = new ProbePool(topology, logsDir);
  let environment: Results['environment'];
  let links: Results['links'] = {};
  try {
    environment = await captureEnvironment(topology, adapters);
    for (const block of blocks) {
      const blockDir = path.join(logsDir, block.phase === 'warmup' ? `warmup-${block.repetition}` : `rep-${block.repetition}`, block.system);
      await mkdir(blockDir, { recursive: true });
      let running: RunningSystem | undefined;
      let probes: Probes | undefined;
      let startError: string | null = null;
      try {
        running = await adapterFor(block.system).start(topology, blockDir);
        probes = await probePool.for(running);
      } catch (error) {
        startError = describeError(error);
      }
      for (const [index, name] of block.workloads.entries()) {
        step++;
        const event = { phase: block.phase, step, total, system: block.system, workload: name, repetition: block.repetition, repeat: scenario.repeat };
        onProgress({ ...event, kind: 'start', elapsedMs: Date.now() - startedAt.getTime(), remainingMs: estimator.remainingMs() });
        const workloadStartedAt = new Date();
        const record = await runWorkload(block, name, topology, running, probes, startError);
        estimator.done(plannedMs(block, name, index), Date.now() - workloadStartedAt.getTime());
        if (block.phase === 'measure') {
          runs.push({ system: block.system, workload: name, repetition: block.repetition, startedAt: workloadStartedAt.toISOString(), durationMs: Date.now() - workloadStartedAt.getTime(), ...record.record });
          for (const sample of record.samples) {
            metricInfos.set(sample.metric.key, sample.metric);
            samples.push({ system: block.system, workload: name, repetition: block.repetition, metric: sample.metric.key, value: sample.value, atMs: sample.atMs });
          }
          for (const timeline of record.timelines) timelines.push({ system: block.system, workload: name, repetition: block.repetition, ...timeline });
        }
        onProgress({
          ...event,
          kind: 'end',
          status: record.record.status,
          ...(record.record.error !== null && { error: record.record.error }),
          elapsedMs: Date.now() - startedAt.getTime(),
          remainingMs: estimator.remainingMs(),
        });
      }
      await running?.stop().catch(() => undefined);
    }
    for (const name of ['a', 'b'] as const) links[name] = await topology.links[name].counters();
  } finally {
    await probePool.stop();
    await topology.destroy();
  }

  const results: Results = {
    schemaVersion: 1,
    scenario,
    run: {
      id: topology.runId,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      quick: options.quick ?? false,
      repeat: scenario.repeat,
      warmup: scenario.warmup,
      systems,
      workloads,
    },
    environment,
    metrics: metricTable(metricInfos.values()),
    runs,
    samples,
    timelines,
    links,
    summary: summarizeSamples(samples),
  };
  await writeResults(path.join(runDir, 'results.json'), results);
  await writeCsvFiles(runDir, results);
  return { runDir, results };
}

type WorkloadOutcome = {
  record: Pick<RunRecord, 'status' | 'error' | 'errors' | 'probeCpu'>;
  samples: { metric: MetricInfo; value: number; atMs: number | null }[];
  timelines: Timeline[];
};

async function runWorkload(
  block: Block,
  name: WorkloadName,
  topology: Topology,
  running: RunningSystem | undefined,
  probes: Probes | undefined,
  startError: string | null,
): Promise<WorkloadOutcome> {
  const failed = (error: string): WorkloadOutcome => ({ record: { status: 'failed', error, errors: [], probeCpu: null }, samples: [], timelines: [] });
  if (!running || !probes) return failed(startError ?? 'the system did not start');
  try {
    const context = { scenario: block.scenario, topology, system: running, serverProbe: probes.server, clientProbe: probes.client };
    const run = await WORKLOADS[name].run(context);
    return { record: { status: 'ok', error: null, errors: run.errors, probeCpu: run.probeCpu }, samples: run.samples, timelines: run.timelines };
  } catch (error) {
    return failed(describeError(error));
  }
}
