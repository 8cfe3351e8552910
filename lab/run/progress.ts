// Progress of a run: which system, workload and repetition, and how long is left.
// The estimate is the planned time of what remains, scaled by how the plan has held
// up so far. On a terminal the current step is one line rewritten in place; otherwise
// (CI logs, pipes) every event is a plain line of its own.
import type { SystemNameInScenario, WorkloadName } from '../scenario/schema.ts';

export interface ProgressEvent {
  kind: 'start' | 'end';
  phase: 'warmup' | 'measure';
  /** 1-based step number out of `total`. */
  step: number;
  total: number;
  system: SystemNameInScenario;
  workload: WorkloadName;
  repetition: number;
  repeat: number;
  /** On 'end': how it went. */
  status?: 'ok' | 'failed';
  error?: string;
  elapsedMs: number;
  remainingMs: number;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

export function formatProgress(event: ProgressEvent): string {
  const width = String(event.total).length;
  const rep = event.phase === 'warmup' ? 'warm-up' : `rep ${event.repetition}/${event.repeat}`;
  const what = `[${String(event.step).padStart(width)}/${event.total}] ${event.system.padEnd(14)} ${event.workload.padEnd(10)} ${rep.padEnd(9)}`;
  const time = `${formatDuration(event.elapsedMs)} elapsed, ~${formatDuration(event.remainingMs)} left`;
  if (event.kind === 'start') return `${what} running   ${time}`;
  const outcome = event.status === 'ok' ? 'ok        ' : `FAILED: ${event.error?.split('\n')[0] ?? ''}\n${' '.repeat(what.length + 1)}`;
  return `${what} ${outcome}${time}`;
}

/** A progress printer for a stream: in-place updates on a TTY, plain lines otherwise. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (event: ProgressEvent) => void {
  return (event) => {
    const line = formatProgress(event);
    if (!stream.isTTY) stream.write(`${line}\n`);
    else if (event.kind === 'start') stream.write(`\r\x1b[2K${line}`);
    else stream.write(`\r\x1b[2K${line}\n`);
  };
}

/** How much of the plan must be done before its observed pace fully replaces the plan. */
const TRUST_AFTER_MS = 30_000;

/**
 * Time left: planned time of the remaining steps, scaled by actual / planned so far;
 * the first few (short) steps move the estimate only a little.
 */
export class Estimator {
  private plannedDoneMs = 0;
  private actualDoneMs = 0;
  constructor(private plannedLeftMs: number) {}

  done(plannedMs: number, actualMs: number): void {
    this.plannedDoneMs += plannedMs;
    this.actualDoneMs += actualMs;
    this.plannedLeftMs = Math.max(0, this.plannedLeftMs - plannedMs);
  }

  remainingMs(): number {
    if (this.plannedDoneMs === 0) return this.plannedLeftMs;
    const pace = Math.min(3, Math.max(0.5, this.actualDoneMs / this.plannedDoneMs));
    const trust = this.plannedDoneMs / (this.plannedDoneMs + TRUST_AFTER_MS);
    return this.plannedLeftMs * (1 + (pace - 1) * trust);
  }
}
