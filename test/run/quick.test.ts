import test from 'ava';
import { Estimator, formatProgress, progressPrinter, type ProgressEvent } from '../../lab/run/progress.ts';
import { quickScenario } from '../../lab/run/quick.ts';
import { WORKLOADS } from '../../lab/workloads/index.ts';
import { testScenario } from '../helpers/scenarios.ts';

test('--quick keeps every workload of lossy-wisp runnable, once, shorter', async (t) => {
  const full = await testScenario('lossy-wisp');
  const quick = quickScenario(full);
  t.is(quick.repeat, 1);
  t.is(quick.warmup, 0);
  for (const workload of Object.values(WORKLOADS)) {
    t.notThrows(() => workload.validate(quick), workload.name);
    t.true(workload.plannedMs(quick) <= workload.plannedMs(full), workload.name);
  }
  t.deepEqual(full.links.a.schedule, (await testScenario('lossy-wisp')).links.a.schedule, 'the original is untouched');
});

const event: ProgressEvent = {
  kind: 'end',
  phase: 'measure',
  step: 3,
  total: 40,
  system: 'ssh-tunnel',
  workload: 'hol',
  repetition: 2,
  repeat: 2,
  status: 'failed',
  error: 'client probe did not answer\nmore',
  elapsedMs: 65_000,
  remainingMs: 125_000,
};

test('progress lines name system, workload, repetition, and time left; plain lines off a terminal', (t) => {
  const line = formatProgress(event);
  t.regex(line, /\[ 3\/40\] ssh-tunnel\s+hol\s+rep 2\/2\s+FAILED: client probe did not answer\n/);
  t.regex(line, /1m05s elapsed, ~2m05s left$/);
  const written: string[] = [];
  const stream = { isTTY: false, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
  progressPrinter(stream)({ ...event, kind: 'start' });
  t.deepEqual(written, [`${formatProgress({ ...event, kind: 'start' })}\n`]);
});

test('time left scales the remaining plan by how the plan held so far, trusting the pace more as the run goes', (t) => {
  const estimator = new Estimator(200_000);
  t.is(estimator.remainingMs(), 200_000);
  estimator.done(10_000, 15_000);
  // 10 s of plan done at 1.5x: a quarter of the way to trusting that pace.
  t.is(estimator.remainingMs(), 190_000 * (1 + 0.5 * 0.25));
  estimator.done(170_000, 255_000);
  t.true(estimator.remainingMs() > 20_000 * 1.4 && estimator.remainingMs() < 20_000 * 1.5, String(estimator.remainingMs()));
});
