import test from 'ava';
import { parseDurationMs, parsePercent, parseRateBitsPerSec, parseSizeBytes } from '../../lab/scenario/units.ts';

test('rates in bit, kbit, mbit, gbit', (t) => {
  t.deepEqual(parseRateBitsPerSec('10mbit'), { ok: true, value: 10e6 });
  t.deepEqual(parseRateBitsPerSec('1.5 mbit'), { ok: true, value: 1.5e6 });
  t.deepEqual(parseRateBitsPerSec('800kbit'), { ok: true, value: 800e3 });
  t.deepEqual(parseRateBitsPerSec('1gbit'), { ok: true, value: 1e9 });
});

test('durations in us, ms, s, m or min, h', (t) => {
  t.deepEqual(parseDurationMs('20ms'), { ok: true, value: 20 });
  t.deepEqual(parseDurationMs('5s'), { ok: true, value: 5000 });
  t.deepEqual(parseDurationMs('500us'), { ok: true, value: 0.5 });
  t.deepEqual(parseDurationMs('2min'), { ok: true, value: 120_000 });
  t.deepEqual(parseDurationMs('20m'), { ok: true, value: 1_200_000 });
  t.deepEqual(parseDurationMs('1h'), { ok: true, value: 3_600_000 });
});

test('sizes in B, KB, MB (binary)', (t) => {
  t.deepEqual(parseSizeBytes('64KB'), { ok: true, value: 65_536 });
  t.deepEqual(parseSizeBytes('1500B'), { ok: true, value: 1500 });
  t.deepEqual(parseSizeBytes('2MB'), { ok: true, value: 2 * 1024 * 1024 });
});

test('percentages become probabilities', (t) => {
  t.deepEqual(parsePercent('1%'), { ok: true, value: 0.01 });
  t.deepEqual(parsePercent('0.5%'), { ok: true, value: 0.005 });
});

test('a wrong unit says what is allowed', (t) => {
  t.deepEqual(parseRateBitsPerSec('10mbps'), {
    ok: false,
    message: 'expected a rate like 10mbit (units: bit, kbit, mbit, gbit), got "10mbps"',
  });
  t.deepEqual(parseDurationMs('-5ms'), {
    ok: false,
    message: 'expected a duration like 20ms or 5s (units: us, ms, s, m, min, h), got "-5ms"',
  });
  t.deepEqual(parsePercent('1'), { ok: false, message: 'expected a percentage like 1% (units: %), got "1"' });
});
