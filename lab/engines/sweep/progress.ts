// Progress of a sweep: cells done (and failed), which cell runs on which engine, and the
// time left: the planned time of the cells still to run, scaled by how the plan has
// held up so far (as a run's estimate is), shared out over the engines.
import { quickScenario } from '../../run/quick.ts';
import { plannedBlocks, plannedTotalMs } from '../../run/plan.ts';
import { Estimator, formatDuration } from '../../run/progress.ts';
import { MIN_AUTO_REPETITIONS, WORKLOAD_NAMES, type Scenario } from '../../scenario/schema.ts';
import type { CellPlan } from './journal.ts';

/** Creating, starting, removing a container and copying its run back, roughly. */
const CONTAINER_OVERHEAD_MS = 8_000;

export function plannedCellMs(cellScenario: Scenario, plan: CellPlan): number {
  const base = plan.quick ? quickScenario(cellScenario) : cellScenario;
  const repeat = plan.repeat ?? base.repeat;
  // repeat: auto runs at least its minimum; the estimate counts that.
  const repetitions = repeat === 'auto' ? MIN_AUTO_REPETITIONS : repeat;
  const workloads = plan.workloads ?? WORKLOAD_NAMES.filter((w) => base.workloads[w] !== undefined);
  return plannedTotalMs(plannedBlocks(base, plan.systems ?? base.systems, workloads, repetitions)) + CONTAINER_OVERHEAD_MS;
}

export class SweepProgress {
  private readonly running = new Map<string, string>();
  private readonly estimator: Estimator;
  private readonly startedAt = Date.now();
  private failed = 0;

  constructor(
    private readonly total: number,
    private done: number,
    private readonly engines: number,
    private readonly plannedMs: ReadonlyMap<string, number>,
  ) {
    this.estimator = new Estimator([...plannedMs.values()].reduce((sum, ms) => sum + ms, 0));
  }

  started(cell: string, engine: string): void {
    this.running.set(cell, engine);
  }

  /** Back to the queue (its engine failed): no longer running, not done either. */
  retired(cell: string): void {
    this.running.delete(cell);
  }

  finished(cell: string, ok: boolean, actualMs: number): void {
    this.running.delete(cell);
    if (ok) this.done++;
    else this.failed++;
    this.estimator.done(this.plannedMs.get(cell) ?? 0, actualMs);
  }

  line(): string {
    const left = this.total - this.done - this.failed;
    const remainingMs = this.estimator.remainingMs() / Math.max(1, Math.min(this.engines, left));
    // A cell by its number (its id's first part), so the line stays readable.
    const running = [...this.running].map(([cell, engine]) => `${cell.split('_')[0]} on ${engine}`).join(', ') || 'nothing';
    return (
      `sweep: ${this.done}/${this.total} cells done${this.failed ? `, ${this.failed} failed` : ''}; running: ${running}; ` +
      `${formatDuration(Date.now() - this.startedAt)} elapsed, ~${formatDuration(left > 0 ? remainingMs : 0)} left`
    );
  }
}
