// The bulk test on synthetic goodput: interactive traffic never joins the other links; a
// connection busy for long enough gets a trial, kept only if goodput rose by minGain,
// tried again later after a failure (each failure doubling the wait); an idle connection
// is interactive again. Samples every 250 ms, as the relay takes them by default.
import test from 'ava';
import { BulkDetector, type BulkEvent, type BulkOptions, type Moved } from '../../relay/bulk.ts';

const options: BulkOptions = { busyBytesPerSecond: 62_500, bulkAfterMs: 1000, bulkRttFactor: 4, trialMinMs: 1500, trialRttFactor: 8, minGain: 0.1, joinMinShare: 0.25, retryAfterMs: 10_000, idleAfterMs: 1000 };
const STEP_MS = 250;

/** Bytes per millisecond at `mbps` Mbit/s. */
const bytesPerMs = (mbps: number) => (mbps * 1e6) / 8000;

/** The share of the goodput the joined links carry while a trial has them send, unless a test says otherwise: above joinMinShare. */
const JOINED_SHARE = 0.4;

/**
 * Feeds `seconds` of samples at `mbps` (bytes per sample from the rate), the joining links'
 * slowest round trip `joinRttMs` and what they carried before (`expectedMbps`, unknown by
 * default); returns each event with its time.
 */
function feed(detector: BulkDetector, clock: { ms: number }, seconds: number, mbps: number, joinRttMs: number, expectedMbps?: number): Array<[number, BulkEvent]> {
  const events: Array<[number, BulkEvent]> = [];
  const join = { rttMs: joinRttMs, expectedBytesPerMs: expectedMbps === undefined ? undefined : bytesPerMs(expectedMbps) };
  for (let i = 0; i < (seconds * 1000) / STEP_MS; i++) {
    clock.ms += STEP_MS;
    const bytes = bytesPerMs(mbps) * STEP_MS;
    const joinedBytes = detector.bulk ? bytes * JOINED_SHARE : 0;
    const event = detector.sample(clock.ms, { goodputBytes: bytes, wireBytes: bytes, resentBytes: 0, joinedBytes }, join);
    if (event) events.push([clock.ms, event]);
  }
  return events;
}

test('interactive traffic (under the busy rate, or in bursts) never joins the other links', (t) => {
  const clock = { ms: 0 };
  const detector = new BulkDetector(options, 0);
  t.deepEqual(feed(detector, clock, 30, 0.4, 50), []); // 0.4 Mbit/s: under 62.5 kB/s
  for (let burst = 0; burst < 10; burst++) {
    t.deepEqual(feed(detector, clock, 0.75, 20, 50), []); // a 1.9 MB object: busy for less than bulkAfterMs
    t.deepEqual(feed(detector, clock, 0.5, 0, 50), []);
  }
  t.false(detector.bulk);
});

test('a transfer busy for bulkAfterMs gets a trial, kept when the other links add goodput', (t) => {
  const clock = { ms: 0 };
  const detector = new BulkDetector(options, 0);
  t.deepEqual(feed(detector, clock, 1, 10, 50), [[1000, 'trial']]);
  t.true(detector.bulk);
  t.deepEqual(feed(detector, clock, 1.5, 16, 50), [[2500, 'kept']]); // trialMinMs, 1.6 x the rate before
  t.is(detector.phase, 'bulk');
  t.deepEqual(feed(detector, clock, 1, 0, 50), [[3500, 'idle']]); // idle for idleAfterMs
  t.false(detector.bulk);
});

test('the wait and the trial scale with the round trip of the link that would join', (t) => {
  const clock = { ms: 0 };
  const detector = new BulkDetector(options, 0);
  // 600 ms: busy 4 x 600 = 2.4 s before the trial, which lasts 8 x 600 = 4.8 s.
  t.deepEqual(feed(detector, clock, 2.5, 10, 600), [[2500, 'trial']]);
  t.deepEqual(feed(detector, clock, 4.5, 25, 600), []);
  t.deepEqual(feed(detector, clock, 0.5, 25, 600), [[7500, 'kept']]);
});

test('no trial where the joining links carried under joinMinShare of the goodput before; a trial where they carried more', (t) => {
  const clock = { ms: 0 };
  const detector = new BulkDetector(options, 0);
  // A 1 Mbit/s uplink beside a 10 Mbit/s one: 10 % < 25 %. Skipped, and asked again retryAfterMs later.
  t.deepEqual(feed(detector, clock, 12, 10, 50, 1), [[1000, 'skipped'], [11_000, 'skipped']]);
  t.false(detector.bulk);
  t.is(detector.trial, undefined);
  // A 25 Mbit/s satellite beside a 10 Mbit/s link: tried.
  const other = new BulkDetector(options, 0);
  const otherClock = { ms: 0 };
  t.deepEqual(feed(other, otherClock, 2.5, 10, 600, 25), [[2500, 'trial']]);
  t.deepEqual(other.trial, { startMs: 2500, lengthMs: 4800 });
});

test('a trial that adds under minGain fails; the next waits retryAfterMs, doubled per failure', (t) => {
  const clock = { ms: 0 };
  const detector = new BulkDetector(options, 0);
  t.deepEqual(feed(detector, clock, 1, 10, 50), [[1000, 'trial']]);
  t.deepEqual(feed(detector, clock, 1.5, 10.5, 50), [[2500, 'failed']]); // +5 %: not enough
  t.false(detector.bulk);
  const later = feed(detector, clock, 40, 10, 50);
  // Retried 10 s after the failure; fails again (no gain), then waits 20 s.
  t.deepEqual(later.slice(0, 4), [[12_500, 'trial'], [14_000, 'failed'], [34_000, 'trial'], [35_500, 'failed']]);
});

test('the goodput before a trial leaves out the single path\'s own start-up', (t) => {
  const clock = { ms: 0 };
  const detector = new BulkDetector(options, 0);
  feed(detector, clock, 0.5, 2.5, 50); // slow start: 2.5 Mbit/s (busy already)...
  t.deepEqual(feed(detector, clock, 0.5, 10, 50), [[1000, 'trial']]); // ...then 10
  // 10.5 is +5 % over the last half second's 10, not +110 % over the whole second's 6.25.
  t.deepEqual(feed(detector, clock, 1.5, 10.5, 50), [[2500, 'failed']]);
});

test('bytes that arrive out of order on the subflows keep a trial going while the goodput stalls', (t) => {
  const clock = { ms: 0 };
  const detector = new BulkDetector(options, 0);
  feed(detector, clock, 1, 10, 50);
  t.is(detector.phase, 'trial');
  // 1.25 s without goodput (idleAfterMs is 1 s), the subflows busy.
  for (let i = 0; i < 5; i++) {
    clock.ms += STEP_MS;
    t.is(detector.sample(clock.ms, { goodputBytes: 0, wireBytes: 100_000, resentBytes: 0, joinedBytes: 50_000 }, { rttMs: 50, expectedBytesPerMs: undefined }), undefined, 'not idle: the subflows still carry bytes');
  }
  clock.ms += STEP_MS;
  t.is(detector.sample(clock.ms, { goodputBytes: 0, wireBytes: 0, resentBytes: 0, joinedBytes: 0 }, { rttMs: 50, expectedBytesPerMs: undefined }), 'failed', 'the trial ends, judged on what the subflows carried: 0.33 MB/s against 1.25 before');
});

/** Runs a trial (1.25 MB/s before) whose 1.5 s feeds each sample `moved(i)`, i from 1; returns its verdict and the goodput it was judged on (bytes per second). */
function trialJudgedOn(moved: (i: number) => Moved): { verdict: BulkEvent | undefined; afterBytesPerSecond: number } {
  const clock = { ms: 0 };
  const detector = new BulkDetector(options, 0);
  feed(detector, clock, 1, 10, 50);
  let verdict: BulkEvent | undefined;
  for (let i = 1; i <= 6; i++) verdict = detector.sample((clock.ms += STEP_MS), moved(i), { rttMs: 50, expectedBytesPerMs: undefined });
  return { verdict, afterBytesPerSecond: Math.round(detector.lastTrialRates.after * 1000) };
}

test('a trial is judged on the bytes that crossed the links once: not on a reorder queue filling or emptying, nor on bytes sent twice', (t) => {
  const wire = 1300 * STEP_MS; // 1.3 MB/s over the subflows: +4 %, under minGain
  t.deepEqual(
    trialJudgedOn((i) => ({ goodputBytes: wire + (i === 5 ? 2_000_000 : 0), wireBytes: wire, resentBytes: 0, joinedBytes: 500 * STEP_MS })),
    { verdict: 'failed', afterBytesPerSecond: 1_300_000 },
    'a queue emptying (2 MB released at once) does not make it 3.97 MB/s',
  );
  t.deepEqual(
    trialJudgedOn(() => ({ goodputBytes: 500 * STEP_MS, wireBytes: 1600 * STEP_MS, resentBytes: 0, joinedBytes: 500 * STEP_MS })),
    { verdict: 'kept', afterBytesPerSecond: 1_600_000 },
    'a queue filling (in order 0.5 MB/s while the subflows carry 1.6) does not fail a link that adds 28 %',
  );
  t.deepEqual(
    trialJudgedOn(() => ({ goodputBytes: 1300 * STEP_MS, wireBytes: 1600 * STEP_MS, resentBytes: 300 * STEP_MS, joinedBytes: 500 * STEP_MS })),
    { verdict: 'failed', afterBytesPerSecond: 1_300_000 },
    '0.3 MB/s of it sent twice is not goodput',
  );
});

test('a late sample timer does not inflate the goodput: each sample counts the time it covers', (t) => {
  const detector = new BulkDetector(options, 0);
  const join = { rttMs: 50, expectedBytesPerMs: undefined };
  // 1.25 MB/s, sampled at uneven times (one 450 ms late): the trial starts judged on 1.25 MB/s.
  let atMs = 0;
  for (const intervalMs of [250, 250, 450, 50, 250]) {
    atMs += intervalMs;
    detector.sample(atMs, { goodputBytes: 1250 * intervalMs, wireBytes: 1250 * intervalMs, resentBytes: 0, joinedBytes: 0 }, join);
  }
  t.is(detector.phase, 'trial');
  t.is(Math.round(detector.lastTrialRates.before * 1000), 1_250_000);
});

/**
 * A trial over a joining link with round trip `joinRttMs`, after 10 Mbit/s before it (the
 * bar for giving up is 12.5 % of it, 1.25 Mbit/s): each sample the joined links carry
 * `joinedMbps(ms into the trial)` on top; returns each event with its time in the trial.
 */
function trialEvents(joinedMbps: (inTrialMs: number) => number, joinRttMs: number): Array<[number, BulkEvent]> {
  const clock = { ms: 0 };
  const detector = new BulkDetector(options, 0);
  feed(detector, clock, joinRttMs === 50 ? 1 : 2.5, 10, joinRttMs);
  const trial = detector.trial;
  if (!trial) throw new Error('no trial');
  const events: Array<[number, BulkEvent]> = [];
  while (detector.phase === 'trial') {
    clock.ms += STEP_MS;
    const inTrialMs = clock.ms - trial.startMs;
    const joined = bytesPerMs(joinedMbps(inTrialMs)) * STEP_MS;
    const bytes = bytesPerMs(10) * STEP_MS + joined;
    const event = detector.sample(clock.ms, { goodputBytes: bytes, wireBytes: bytes, resentBytes: 0, joinedBytes: joined }, { rttMs: joinRttMs, expectedBytesPerMs: undefined });
    if (event) events.push([inTrialMs, event]);
  }
  return events;
}

test('a trial is given up from half-way on when the joining links carry under half of joinMinShare and no longer rise; not while they are starting up', (t) => {
  t.deepEqual(trialEvents(() => 0.9, 50), [[750, 'failed']], 'a steady 0.9 Mbit/s link beside 10: given up at 750 ms of 1500');
  t.deepEqual(trialEvents(() => 2, 50), [[1500, 'kept']], 'a 2 Mbit/s one goes on (and adds 20 %)');
  // A 600 ms link in start-up, doubling per round trip from 0.05 Mbit/s: 0.8 at half-way (2.4 s of 4.8), under the bar, but 4 x its rate of the quarter before.
  const startUp = (inTrialMs: number) => Math.min(15, 0.05 * 2 ** (inTrialMs / 600));
  t.deepEqual(trialEvents(startUp, 600), [[5000, 'kept']], 'a link still starting up goes on, and is kept (judged at the first sample past 4.8 s)');
  // The same link stuck at 0.8 Mbit/s from half-way: given up once its last quarter is under 1.5 x the one before.
  t.deepEqual(trialEvents((inTrialMs) => Math.min(0.8, startUp(inTrialMs)), 600), [[4000, 'failed']], 'a link that stops rising under the bar is given up before the end (4 s of 4.8)');
});

test('a trial the links changed under starts again, judged against the goodput before it', (t) => {
  const clock = { ms: 0 };
  const detector = new BulkDetector(options, 0);
  feed(detector, clock, 1, 10, 50);
  t.deepEqual(feed(detector, clock, 1, 6, 50), [], 'link A died 1 s into the trial: 6 Mbit/s over link B alone');
  t.true(detector.restartTrial(clock.ms, 50), 'link A is back');
  t.deepEqual(feed(detector, clock, 1.5, 16, 50), [[3500, 'kept']], 'judged 1.5 s after the return, on both links, against 10');
  t.false(detector.restartTrial(clock.ms, 50), 'no trial under way');
});
