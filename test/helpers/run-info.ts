// A complete `run` section of results.json for tests that build results by hand.
import type { RunInfo } from '../../lab/report/results.ts';

export function runInfo(overrides: Partial<RunInfo> & Pick<RunInfo, 'systems' | 'workloads'>): RunInfo {
  const now = new Date().toISOString();
  const repeat = overrides.repeat ?? 1;
  return {
    id: 'r',
    startedAt: now,
    finishedAt: now,
    quick: false,
    repeat,
    repeatPolicy: { kind: 'fixed', repetitions: repeat },
    stopReason: `repeat: ${repeat}`,
    warmup: 0,
    order: Array.from({ length: repeat }, () => overrides.systems),
    precision: 0.1,
    imprecise: [],
    timing: { wallMs: 1000, inWorkloadsMs: 900, setupMs: 50, quietWaitMs: 30, teardownMs: 20 },
    ...overrides,
  };
}
