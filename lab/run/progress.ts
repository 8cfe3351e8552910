// Progress of a run: which system, workload and repetition, and how long is left.
// The estimate is the planned time of what remains, scaled by how the plan has held
// up so far. On a terminal the current step is one line rewritten in place; otherwise
// (CI logs, pipes) every event is a plain line of its own.
import type { SystemNameInScenario, WorkloadName } from '../scenario/schema.ts';
import { plannedBlockMs, plannedStepMs, type Block } from './plan.ts';

export interface ProgressEvent {
  kind: 'start' | 'end';
  phase: 'warmup' | 'measure';
  /** 1-based step number out of `total`. */
  step: number;
  total: number;
  system: SystemNameInScenario;
  workload: WorkloadName;
  repetition: number;
  /** Repetitions planned, or 'auto' (at least 3, more while imprecise and the budget allows). */
  repeat: number | 'auto';
  /** On 'end': how it went. */
  status?: 'ok' | 'failed';
  error?: string;
  elapsedMs: number;
  remainingMs: number;
  /** When the estimate says the run ends (wall clock), for the ETA. */
  etaAt: Date;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

export function formatProgress(event: ProgressEvent): string {
  const width = String(event.total).length;
  const rep = event.phase === 'warmup' ? 'warm-up' : `rep ${event.repetition}/${event.repeat}`;
  const what = `[${String(event.step).padStart(width)}/${event.total}] ${event.system.padEnd(14)} ${event.workload.padEnd(10)} ${rep.padEnd(9)}`;
  const eta = event.etaAt.toTimeString().slice(0, 5);
  const time = `${formatDuration(event.elapsedMs)} elapsed, ~${formatDuration(event.remainingMs)} left (ETA ${eta}${event.repeat === 'auto' ? ' for the repetitions so far' : ''})`;
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

/** How much of the plan must be done before its observed pace weighs as much as the plan (after a minute: 3/4). */
const TRUST_AFTER_MS = 20_000;

/**
 * Time left: planned time of the remaining steps, scaled by the pace so far: wall time
 * elapsed (set-up, quiet waits and teardown included) over the planned time of the
 * steps done. The first few steps move the estimate only a little.
 */
export class Estimator {
  private plannedDoneMs = 0;
  private elapsedMs = 0;
  constructor(private plannedLeftMs: number) {}

  /** More to do than planned at the start: another repetition, a block run again. */
  add(plannedMs: number): void {
    this.plannedLeftMs += plannedMs;
  }

  /** A step of `plannedMs` is done, `elapsedMs` after the run started. */
  done(plannedMs: number, elapsedMs: number): void {
    this.plannedDoneMs += plannedMs;
    this.elapsedMs = elapsedMs;
    this.plannedLeftMs = Math.max(0, this.plannedLeftMs - plannedMs);
  }

  remainingMs(): number {
    if (this.plannedDoneMs === 0) return this.plannedLeftMs;
    const pace = Math.min(3, Math.max(0.5, this.elapsedMs / this.plannedDoneMs));
    const trust = this.plannedDoneMs / (this.plannedDoneMs + TRUST_AFTER_MS);
    return this.plannedLeftMs * (1 + (pace - 1) * trust);
  }
}

/** The run's step count and estimate, told each step's start and end, turned into progress events. */
export class ProgressTracker {
  private step = 0;
  private total = 0;
  private readonly estimator = new Estimator(0);
  constructor(
    private readonly repeat: number | 'auto',
    private readonly startedAtMs: number,
    private readonly onProgress: (event: ProgressEvent) => void,
  ) {}

  /** Blocks still to run, beyond those already planned. */
  plan(blocks: readonly Block[]): void {
    for (const block of blocks) {
      this.total += block.workloads.length;
      this.estimator.add(plannedBlockMs(block));
    }
  }

  start(block: Block, workload: WorkloadName): void {
    this.step++;
    this.onProgress({ ...this.base(block, workload), kind: 'start' });
  }

  end(block: Block, workload: WorkloadName, error: string | null): void {
    this.estimator.done(plannedStepMs(block, workload), Date.now() - this.startedAtMs);
    this.onProgress({ ...this.base(block, workload), kind: 'end', status: error === null ? 'ok' : 'failed', ...(error !== null && { error }) });
  }

  private base(block: Block, workload: WorkloadName) {
    const remainingMs = this.estimator.remainingMs();
    return {
      phase: block.phase,
      step: this.step,
      total: this.total,
      system: block.system,
      workload,
      repetition: block.repetition,
      repeat: this.repeat,
      elapsedMs: Date.now() - this.startedAtMs,
      remainingMs,
      etaAt: new Date(Date.now() + remainingMs),
    };
  }
}
