// The adaptive stopping rule on synthetic metrics: repetitions of a metric whose
// samples vary little stop at the minimum; a noisy one goes on while the budget lasts.
import test from 'ava';
import { metricTable, summarizeSamples, type Results, type ResultSample } from '../../lab/report/results.ts';
import { impreciseMetrics, nextRepetition, repeatPolicy, type RepeatPolicy } from '../../lab/run/repetitions.ts';
import { seededRandom } from '../../lab/stats/random.ts';
import { metric } from '../../lab/workloads/metrics.ts';
import { testScenario } from '../helpers/scenarios.ts';

const METRICS: Results['metrics'] = metricTable([metric('ttfb_ms')]);

/** One repetition of 20 ttfb samples around 100 ms; `spread` is the noise, `shift` moves the whole repetition. */
function repetition(random: () => number, repetition: number, spread: number, shift = 0): ResultSample[] {
  return Array.from({ length: 20 }, () => ({
    system: 'mprelay' as const,
    workload: 'connect' as const,
    repetition,
    metric: 'ttfb_ms',
    value: 100 + shift + spread * (random() - 0.5),
    atMs: null,
    censored: false,
  }));
}

/**
 * Runs the rule over synthetic repetitions of `repetitionMs` each until it says stop;
 * returns how many it made and why it stopped. Each repetition is shifted as a whole
 * by up to ±shiftSpread / 2 (its own conditions), each sample by up to ±spread / 2.
 */
function simulate(policy: RepeatPolicy, spread: number, shiftSpread: number, repetitionMs = 60_000) {
  const random = seededRandom(5);
  const samples: ResultSample[] = [];
  const durationsMs: number[] = [];
  for (;;) {
    const r = durationsMs.length + 1;
    samples.push(...repetition(random, r, spread, shiftSpread * (random() - 0.5)));
    durationsMs.push(repetitionMs);
    const imprecise = policy.kind === 'auto' ? impreciseMetrics(summarizeSamples(samples), METRICS, ['mprelay'], policy.precision) : [];
    const decision = nextRepetition(policy, { durationsMs, elapsedMs: durationsMs.reduce((a, b) => a + b, 0), imprecise });
    if (!decision.more) return { repetitions: durationsMs.length, reason: decision.reason, imprecise };
  }
}

const auto: RepeatPolicy = { kind: 'auto', precision: 0.1, budgetMs: 20 * 60_000 };

test('a low-noise metric stops at the minimum of three repetitions', (t) => {
  const outcome = simulate(auto, 4, 0);
  t.is(outcome.repetitions, 3);
  t.is(outcome.reason, 'every headline metric is within ±10 % of its median');
  t.deepEqual(outcome.imprecise, []);
});

test('a noisy metric (whole repetitions apart) goes on until its interval is within precision', (t) => {
  // Each repetition's median lands anywhere in 70..130 ms: the clustered interval needs many of them.
  const outcome = simulate({ ...auto, budgetMs: 60 * 60_000 }, 4, 60);
  t.log(`${outcome.repetitions} repetitions`);
  t.true(outcome.repetitions >= 5, `${outcome.repetitions} repetitions`);
  t.true(outcome.repetitions < 60);
  t.is(outcome.reason, 'every headline metric is within ±10 % of its median');
});

test('the budget stops a metric that stays imprecise, and the reason says so', (t) => {
  // Far too noisy for ±10 %: 5 repetitions of a minute fit a 5.5-minute budget, a sixth would not.
  const outcome = simulate({ ...auto, budgetMs: 5.5 * 60_000 }, 400, 0);
  t.is(outcome.repetitions, 5);
  t.regex(outcome.reason, /^1 headline metric\(s\) wider than ±10 %, but another repetition \(~60 s\) would end after the budget \(330 s; 300 s spent\)$/);
  t.like(outcome.imprecise[0], { system: 'mprelay', workload: 'connect', metric: 'ttfb_ms', reps: 5, n: 100 });
  // The minimum is kept even when it overruns the budget.
  t.is(simulate({ ...auto, budgetMs: 60_000 }, 400, 0).repetitions, 3);
});

test('a fixed repeat makes exactly that many; the scenario says which policy', async (t) => {
  t.is(simulate({ kind: 'fixed', repetitions: 2 }, 400, 0).repetitions, 2);
  const scenario = await testScenario('ci-smoke');
  t.deepEqual(repeatPolicy({ ...scenario, repeat: 4 }), { kind: 'fixed', repetitions: 4 });
  t.deepEqual(repeatPolicy({ ...scenario, repeat: 'auto', precision: 0.05, budget: 600_000 }), { kind: 'auto', precision: 0.05, budgetMs: 600_000 });
});
