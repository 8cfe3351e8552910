import test from 'ava';
import { parseRule, RuleError } from '../../lab/gate/rules.ts';

test('a rule with a factor and a metric on the right', (t) => {
  const rule = parseRule('mprelay.connect.ttfb_ms.p50 < 0.6 * redsocks-dante.connect.ttfb_ms.p50');
  t.deepEqual(rule.lhs, { system: 'mprelay', workload: 'connect', metric: 'ttfb_ms', stat: 'p50' });
  t.is(rule.op, '<');
  t.deepEqual(rule.rhs, { kind: 'metric', factor: 0.6, ref: { system: 'redsocks-dante', workload: 'connect', metric: 'ttfb_ms', stat: 'p50' } });
});

test('a metric without factor, a constant, and every operator', (t) => {
  t.deepEqual(parseRule('mprelay.hol.rtt_loaded_ms.p95>=ssh-tunnel.hol.rtt_loaded_ms.p95').rhs, {
    kind: 'metric',
    factor: 1,
    ref: { system: 'ssh-tunnel', workload: 'hol', metric: 'rtt_loaded_ms', stat: 'p95' },
  });
  t.deepEqual(parseRule('mprelay.throughput.goodput_mbps.mean > 1.5e1').rhs, { kind: 'constant', value: 15 });
  for (const op of ['<', '<=', '>', '>='] as const) t.is(parseRule(`mprelay.connect.ttfb_ms.p99 ${op} 100`).op, op);
});

const bad: [string, RegExp][] = [
  ['', /empty rule/],
  ['mprelay.connect.ttfb_ms.p50', /ends too early/],
  ['mprelay.connect.ttfb_ms.p50 <', /ends too early/],
  ['mprelay.connect.ttfb_ms < 10', /not system\.workload\.metric\.stat/],
  ['mprelay.connect.ttfb_ms.median < 10', /unknown statistic "median"/],
  ['squid.connect.ttfb_ms.p50 < 10', /unknown system "squid"/],
  ['mprelay.bulk.ttfb_ms.p50 < 10', /unknown workload "bulk"/],
  ['mprelay.connect.TTFB.p50 < 10', /bad metric name/],
  ['mprelay.connect.ttfb_ms.p50 = 10', /expected one of < <= > >=, got "="/],
  ['mprelay.connect.ttfb_ms.p50 < 10 ms', /unexpected "ms" after the end/],
  ['mprelay.connect.ttfb_ms.p50 < -3', /expected a number, got "-3"/],
  ['mprelay.connect.ttfb_ms.p50 < 0 * mprelay.connect.ttfb_ms.p95', /positive finite/],
  ['mprelay.connect.ttfb_ms.p50 < 0.6 *', /ends too early/],
  ['mprelay.connect.ttfb_ms.p50 < 0.6 * 2', /not system\.workload\.metric\.stat/],
];

for (const [text, reason] of bad) {
  test(`refused: ${JSON.stringify(text)}`, (t) => {
    const error = t.throws(() => parseRule(text), { instanceOf: RuleError });
    t.regex(error.message, reason);
    t.true(error.column >= 1 && error.column <= text.length + 1);
  });
}

test('the error points at the offending token', (t) => {
  const error = t.throws(() => parseRule('mprelay.connect.ttfb_ms.p50 < 0.6 * dante.connect.ttfb_ms.p50'), { instanceOf: RuleError });
  t.is(error.column, 37);
  t.regex(error.message, /at column 37: unknown system "dante"/);
});
