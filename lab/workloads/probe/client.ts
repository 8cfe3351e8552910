// Client probe: runs workloads' client side in the client namespace, one plan per line
// on stdin (see plan.ts), for a whole block of workloads: starting node with tsx costs
// most of a second on these machines, too much to pay for every workload.
// Usage: node --import tsx client.ts < plans
import { monotonicMs } from './clock.ts';
import { cpuSecondsOf } from '../../engines/proc.ts';
import { download, echoLoop, fetchOnce, upload, type FetchRecord } from './flows.ts';
import type { ClientLine, ClientPlan, ClientResult, ProbeCpu } from './plan.ts';
import { createInterface } from 'node:readline';
import { encodeLine } from './protocol.ts';

// CPU is counted from the start of the measurement, not from process start (module loading).
let measureStart = { atMs: monotonicMs(), cpuSeconds: 0 };

function emit(line: ClientLine): void {
  process.stdout.write(encodeLine(line));
}

function cpu(): ProbeCpu {
  return { cpuSeconds: (cpuSecondsOf(process.pid) ?? 0) - measureStart.cpuSeconds, wallSeconds: (monotonicMs() - measureStart.atMs) / 1000 };
}

function start(): number {
  const refMs = monotonicMs();
  measureStart = { atMs: refMs, cpuSeconds: cpuSecondsOf(process.pid) ?? 0 };
  emit({ event: 'started', refMs });
  return refMs;
}

async function run(plan: ClientPlan): Promise<ClientResult> {
  switch (plan.mode) {
    case 'connect': {
      const refMs = start();
      const fetches: FetchRecord[] = [];
      // One at a time: each connection is a fresh handshake through the system.
      for (let i = 0, failedInARow = 0; i < plan.count && failedInARow < plan.giveUpAfter; i++) {
        const fetch = await fetchOnce(plan.target, i, plan.responseBytes, plan.timeoutMs);
        fetches.push(fetch);
        failedInARow = fetch.error === null ? 0 : failedInARow + 1;
      }
      return { mode: 'connect', refMs, fetches, cpu: cpu() };
    }
    case 'bulk': {
      const refMs = start();
      const untilMs = refMs + plan.durationMs;
      const transfer = plan.direction === 'down' ? download : upload;
      const flows = await Promise.all(Array.from({ length: plan.flows }, (_, i) => transfer(plan.target, i, refMs, untilMs, plan.binMs)));
      return { mode: 'bulk', refMs, untilMs, flows, cpu: cpu() };
    }
    case 'hol': {
      const refMs = start();
      const loadStartMs = refMs + plan.idleMs;
      const untilMs = loadStartMs + plan.loadedMs;
      const echo = echoLoop(plan.target, 0, untilMs, plan.probeIntervalMs, plan.echoBytes);
      await new Promise((resolve) => setTimeout(resolve, plan.idleMs));
      const bulk = Promise.all(Array.from({ length: plan.bulkFlows }, (_, i) => download(plan.target, 1 + i, refMs, untilMs, plan.binMs)));
      // New connections open now and then during the load, without waiting for each other.
      const fetches: Promise<FetchRecord>[] = [];
      for (let atMs = loadStartMs + plan.newConnectionIntervalMs; atMs < untilMs; atMs += plan.newConnectionIntervalMs) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, atMs - monotonicMs())));
        fetches.push(fetchOnce(plan.target, 100 + fetches.length, plan.responseBytes, plan.timeoutMs));
      }
      const [flows, echoed, fetched] = await Promise.all([bulk, echo, Promise.all(fetches)]);
      return { mode: 'hol', refMs, loadStartMs, untilMs, echoes: echoed.samples, echoError: echoed.error, fetches: fetched, flows, cpu: cpu() };
    }
  }
}

emit({ event: 'ready' });
for await (const line of createInterface({ input: process.stdin })) {
  try {
    emit({ event: 'result', result: await run(JSON.parse(line) as ClientPlan) });
  } catch (error) {
    emit({ event: 'error', message: error instanceof Error ? error.message : String(error) });
  }
}
