import test from 'ava';
import { Estimator, formatProgress, progressPrinter, ProgressTracker, type ProgressEvent } from '../../lab/run/progress.ts';
import { repetitionBlocks } from '../../lab/run/plan.ts';
import { testScenario } from '../helpers/scenarios.ts';

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
  etaAt: new Date(2026, 0, 1, 14, 7, 30),
};

test('progress lines name system, workload, repetition, time left and the ETA; plain lines off a terminal', (t) => {
  const line = formatProgress(event);
  t.regex(line, /\[ 3\/40\] ssh-tunnel\s+hol\s+rep 2\/2\s+FAILED: client probe did not answer\n/);
  t.regex(line, /1m05s elapsed, ~2m05s left \(ETA 14:07\)$/);
  t.regex(formatProgress({ ...event, repeat: 'auto' }), /rep 2\/auto [^]*\(ETA 14:07 for the repetitions so far\)$/);
  const written: string[] = [];
  const stream = { isTTY: false, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
  progressPrinter(stream)({ ...event, kind: 'start' });
  t.deepEqual(written, [`${formatProgress({ ...event, kind: 'start' })}\n`]);
});

test('time left scales the remaining plan by the wall-clock pace so far, trusting it more as the run goes', (t) => {
  const estimator = new Estimator(200_000);
  t.is(estimator.remainingMs(), 200_000);
  estimator.done(10_000, 15_000);
  // 10 s of plan done in 15 s of wall time (set-up and waits included): a third of the way to trusting that pace.
  t.is(estimator.remainingMs(), 190_000 * (1 + 0.5 * (10 / 30)));
  estimator.done(170_000, 270_000);
  t.true(estimator.remainingMs() > 20_000 * 1.4 && estimator.remainingMs() < 20_000 * 1.5, String(estimator.remainingMs()));
  estimator.add(100_000);
  t.true(estimator.remainingMs() > 120_000 * 1.4, 'a repetition added later counts at the same pace');
});

test('the tracker counts steps over every block planned, including those added later', async (t) => {
  const scenario = await testScenario('ci-smoke');
  const events: ProgressEvent[] = [];
  const tracker = new ProgressTracker('auto', Date.now() - 60_000, (e) => events.push(e));
  const [first, ...rest] = repetitionBlocks(scenario, scenario.systems, ['connect', 'hol'], 1);
  tracker.plan([first!, ...rest]);
  tracker.start(first!, 'connect');
  tracker.end(first!, 'connect', null);
  tracker.plan(repetitionBlocks(scenario, scenario.systems, ['connect', 'hol'], 2));
  tracker.start(first!, 'hol');
  tracker.end(first!, 'hol', 'probe died');
  t.deepEqual(
    events.map((e) => [e.kind, e.step, e.total, e.workload, e.status ?? '-']),
    [
      ['start', 1, 6, 'connect', '-'],
      ['end', 1, 6, 'connect', 'ok'],
      ['start', 2, 12, 'hol', '-'],
      ['end', 2, 12, 'hol', 'failed'],
    ],
  );
  t.is(events[3]!.error, 'probe died');
  t.true(events.every((e) => e.elapsedMs >= 60_000 && e.etaAt.getTime() >= Date.now() + e.remainingMs - 1000));
});
