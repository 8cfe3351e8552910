// Link model math and the argument forms the backends derive from a model.
import test from 'ava';
import { expectedLossProbability, lossInterval, serialisationMs, baseRttMs } from '../../lab/links/model.ts';
import { longestGapMs, measureLoss, quantiles } from '../../lab/links/measure.ts';
import { directionSpec, emulatorArgs } from '../../lab/links/userspace.ts';
import { direction, linkModel } from './pair.ts';

test('expected loss combines random and Gilbert-Elliott burst loss', (t) => {
  t.true(Math.abs(expectedLossProbability(direction({ lossProbability: 0.01 })) - 0.01) < 1e-12);
  // Bad state share = 0.01 / (0.01 + 0.3); half the packets in it are lost.
  const burst = direction({ burstLoss: { enterProbability: 0.01, exitProbability: 0.3, lossInBurst: 0.5 } });
  t.true(Math.abs(expectedLossProbability(burst) - (0.01 / 0.31) * 0.5) < 1e-12);
  const both = direction({ lossProbability: 0.02, burstLoss: { enterProbability: 0.01, exitProbability: 0.3, lossInBurst: 0.5 } });
  t.true(Math.abs(expectedLossProbability(both) - (1 - 0.98 * (1 - (0.01 / 0.31) * 0.5))) < 1e-12);
  t.is(expectedLossProbability(direction()), 0);
});

test('binomial 99 % loss interval brackets the rate and narrows with more trials', (t) => {
  const [low, high] = lossInterval(2000, 0.01);
  // Normal approximation: 0.01 +- 2.576 * sqrt(0.01 * 0.99 / 2000) = 0.0043 .. 0.0157.
  t.true(low > 0.003 && low < 0.006, `low ${low}`);
  t.true(high > 0.014 && high < 0.018, `high ${high}`);
  const [low2, high2] = lossInterval(20000, 0.01);
  t.true(low2 > low && high2 < high);
  t.deepEqual(lossInterval(1000, 0), [0, 0]);
});

test('serialisation time and base RTT', (t) => {
  t.is(serialisationMs(1500, 12e6), 1);
  t.is(baseRttMs(linkModel({ up: direction({ delayMs: 12 }), down: direction({ delayMs: 20 }) })), 32);
});

test('measured loss is judged against the interval of the configured rate', (t) => {
  const model = direction({ lossProbability: 0.01 });
  t.true(measureLoss(2000, 1980, model).inside);
  t.false(measureLoss(2000, 1900, model).inside, '5 % measured against 1 % configured');
  t.false(measureLoss(2000, 2000, model).inside, 'no loss at all against 1 % configured over 2000 probes');
});

test('longest gap and quantiles of delivery times', (t) => {
  t.is(longestGapMs([5, 1, 2, 30, 31]), 25);
  t.is(longestGapMs([]), 0);
  const q = quantiles([3, 1, 2, 4, 100]);
  t.is(q.min, 1);
  t.is(q.median, 3);
  t.is(q.n, 5);
});

test('emulator arguments carry every model field in the units the C side expects', (t) => {
  const spec = directionSpec(
    direction({ rateBitsPerSec: 12e6, delayMs: 12.5, jitterMs: 2, lossProbability: 0.005, queueBytes: 131072, burstLoss: { enterProbability: 0.001, exitProbability: 0.3, lossInBurst: 0.5 } }),
  );
  t.is(spec, 'rate=12000000,delay_us=12500,jitter_us=2000,loss=0.005,ge_enter=0.001,ge_exit=0.3,ge_loss=0.5,queue=131072');
  const args = emulatorArgs({ model: linkModel(), nsLocal: 'mpl-x-gw-local', nsRemote: 'mpl-x-gw-remote', seed: 7 });
  t.deepEqual(args.slice(0, 8), ['--local', 'mpl-x-gw-local', '--remote', 'mpl-x-gw-remote', '--dev', 'linka', '--seed', '7']);
});
