// One block attempt: a fresh topology (namespaces, links, emulators) for one system and
// one repetition, the system started in it, its probes, then each workload after a
// wait for quiet links, then everything torn down. Nothing a system leaves behind (TCP
// metrics, conntrack entries, an MPTCP blackhole, sysctls, sockets, queued bytes) can
// reach the next block: it gets namespaces of its own. Failures are recorded, not thrown.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { LinkBackendName } from '../links/model.ts';
import type { BlockRecord } from '../report/results.ts';
import { systemsByName } from '../systems/index.ts';
import type { RunningSystem } from '../systems/system.ts';
import { blackholeCounts, type BlackholeCounts } from '../topology/blackhole.ts';
import { buildTopology } from '../topology/build.ts';
import type { LinkCounters, Topology } from '../topology/types.ts';
import { runWithEvidence } from '../workloads/evidence.ts';
import { WORKLOADS } from '../workloads/index.ts';
import { ProbePool, type Probes } from '../workloads/probes.ts';
import type { Collector } from './collect.ts';
import { blockHealth, LATENESS_P99_LIMIT_US } from './health.ts';
import type { Block } from './plan.ts';
import type { ProgressTracker } from './progress.ts';
import { waitForQuietLinks, type QuietWait } from '../topology/quiet.ts';

export interface BlockContext {
  /** A new id for each block's topology (namespaces mpl-<id>-<role>). */
  topologyId: () => string;
  backend?: 'auto' | LinkBackendName;
  logsDir: string;
  collector: Collector;
  progress: ProgressTracker;
  /** Called with each block's topology once it is built (the run records its environment from the first). */
  onTopology?: (topology: Topology) => Promise<void>;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Where a block attempt writes its logs. */
function blockDir(logsDir: string, block: Block, attempt: number): string {
  const phase = `${block.phase === 'warmup' ? 'warmup' : 'rep'}-${block.repetition}`;
  return path.join(logsDir, phase, attempt > 1 ? `${block.system}-attempt-${attempt}` : block.system);
}

interface Started {
  topology?: Topology;
  running?: RunningSystem;
  probePool?: ProbePool;
  probes?: Probes;
  error: string | null;
}

async function startBlock(context: BlockContext, block: Block, dir: string): Promise<Started> {
  const started: Started = { error: null };
  try {
    started.topology = await buildTopology(block.scenario, { runDir: path.join(dir, 'topology'), backend: context.backend, runId: context.topologyId() });
    await context.onTopology?.(started.topology);
    const adapter = systemsByName[block.system];
    if (!adapter) throw new Error(`system ${block.system} is not available (known: ${Object.keys(systemsByName).join(', ')})`);
    started.running = await adapter.start(started.topology, dir);
    started.probePool = new ProbePool(started.topology, dir);
    started.probes = await started.probePool.for(started.running);
  } catch (error) {
    started.error = describeError(error);
  }
  return started;
}

/** Stops what started; returns the block's link counters and blackhole counts, read before the teardown. */
async function stopBlock(context: BlockContext, block: Block, started: Started, flags: string[]): Promise<{ links: Record<string, LinkCounters>; blackhole: BlackholeCounts | null }> {
  const stopError = await started.running?.stop().then(
    () => null,
    (thrown: unknown) => describeError(thrown),
  );
  if (stopError && block.phase === 'measure') context.collector.note(block.system, block.repetition, `stopping ${block.system}: ${stopError}`);
  await started.probePool?.stop();
  const links: Record<string, LinkCounters> = {};
  let blackhole: BlackholeCounts | null = null;
  if (started.topology) {
    for (const link of Object.values(started.topology.links)) {
      const counters = await link.counters().catch((error: unknown) => void flags.push(`link ${link.name} counters not read: ${describeError(error)}`));
      if (counters) links[link.name] = counters;
    }
    blackhole = await blackholeCounts(started.topology.ns).catch((error: unknown) => (flags.push(`MPTCP blackhole counters not read: ${describeError(error)}`), null));
    await started.topology.destroy();
  }
  return { links, blackhole };
}

export async function runBlock(context: BlockContext, block: Block, attempt: number): Promise<BlockRecord> {
  const dir = blockDir(context.logsDir, block, attempt);
  await mkdir(dir, { recursive: true });
  const startedAt = new Date();
  const t0 = performance.now();
  const started = await startBlock(context, block, dir);
  const setupMs = performance.now() - t0;
  const workloads: BlockRecord['workloads'] = [];
  const flags: string[] = [];
  for (const workload of block.workloads) {
    const { topology, running, probes } = started;
    const quiet: QuietWait = topology && running && probes ? await waitForQuietLinks(Object.values(topology.links)) : { waitedMs: 0, quiet: true };
    if (!quiet.quiet) flags.push(`no quiet link before ${workload} within ${Math.round(quiet.waitedMs)} ms: ${quiet.busy}`);
    context.progress.start(block, workload);
    const workloadStartedAt = new Date();
    const w0 = performance.now();
    let error = running && probes ? null : (started.error ?? 'the system did not start');
    const key = { system: block.system, workload, repetition: block.repetition };
    if (topology && running && probes) {
      try {
        const run = await runWithEvidence(WORKLOADS[workload], { scenario: block.scenario, topology, system: running, serverProbe: probes.server, clientProbe: probes.client });
        if (block.phase === 'measure') context.collector.ok(key, workloadStartedAt, run);
      } catch (thrown) {
        error = describeError(thrown);
      }
    }
    if (error !== null && block.phase === 'measure') context.collector.failed(key, workloadStartedAt, error);
    workloads.push({ workload, quietWaitMs: quiet.waitedMs, quiet: quiet.quiet, ...(quiet.busy !== undefined && !quiet.quiet && { busy: quiet.busy }), durationMs: performance.now() - w0 });
    context.progress.end(block, workload, error);
  }
  const t1 = performance.now();
  const { links, blackhole } = await stopBlock(context, block, started, flags);
  const health = blockHealth(links);
  if (health?.bad) flags.push(`emulator lateness p99 ${health.worstLatenessP99Us} us > ${LATENESS_P99_LIMIT_US} us`);
  if (health && health.rtPriority === 0) flags.push('a link emulator ran without real-time priority');
  if (blackhole && blackhole.events > 0) flags.push(`${blackhole.events} MPTCP blackhole(s) detected, ${blackhole.disabledSyns} connection(s) sent as plain TCP`);
  return {
    phase: block.phase,
    system: block.system,
    repetition: block.repetition,
    position: block.position,
    attempt,
    kept: block.phase === 'measure',
    startedAt: startedAt.toISOString(),
    durationMs: performance.now() - t0,
    setupMs,
    teardownMs: performance.now() - t1,
    workloads,
    health,
    blackhole,
    links,
    flags,
  };
}
