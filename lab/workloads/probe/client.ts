// Client probe: runs workloads' client side in the client namespace, one plan per line
// on stdin (see plan.ts), for a whole block of workloads: starting node with tsx costs
// most of a second on these machines, too much to pay for every workload.
// Usage: node --import tsx client.ts < plans
import { monotonicMs } from './clock.ts';
import { cpuSecondsOf } from '../../engines/proc.ts';
import { runPlan } from './modes.ts';
import type { ClientLine, ClientPlan, ProbeCpu } from './plan.ts';
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

emit({ event: 'ready' });
for await (const line of createInterface({ input: process.stdin })) {
  try {
    emit({ event: 'result', result: await runPlan(JSON.parse(line) as ClientPlan, start, cpu) });
  } catch (error) {
    emit({ event: 'error', message: error instanceof Error ? error.message : String(error) });
  }
}
