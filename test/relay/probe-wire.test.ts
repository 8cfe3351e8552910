// The probe datagram: round trip, and every way a datagram is refused.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { decodeProbe, encodeProbe, PROBE_BYTES, type Probe } from '../../relay/probe-wire.ts';

const secret = randomBytes(32);
const keys = (id: number) => (id === 7 ? secret : undefined);
const probe: Probe = { kind: 'request', keyId: 7, link: 1, sequence: 4_000_000_000, sentAtMs: 1_764_590_000_123 };

test('a probe decodes to what was encoded, as a request or an answer', (t) => {
  const wire = encodeProbe(probe, secret);
  t.is(wire.length, PROBE_BYTES);
  t.deepEqual(decodeProbe(wire, keys), probe);
  t.deepEqual(decodeProbe(encodeProbe({ ...probe, kind: 'answer' }, secret), keys), { ...probe, kind: 'answer' });
});

test('refused: wrong size, magic, kind, unknown key, any flipped bit (MAC), another key', (t) => {
  const wire = encodeProbe(probe, secret);
  t.is(decodeProbe(wire.subarray(0, PROBE_BYTES - 1), keys), 'size');
  t.is(decodeProbe(Buffer.concat([wire, Buffer.alloc(1)]), keys), 'size');
  const flip = (at: number) => {
    const copy = Buffer.from(wire);
    copy[at] = (copy[at] ?? 0) ^ 1;
    return copy;
  };
  t.is(decodeProbe(flip(0), keys), 'magic');
  t.is(decodeProbe(flip(4), keys), 'kind');
  t.is(decodeProbe(flip(5), keys), 'unknown-key');
  for (const at of [6, 8, 12, 19, 24, 35]) t.is(decodeProbe(flip(at), keys), 'mac', `bit flipped at ${at}`);
  t.is(decodeProbe(encodeProbe(probe, randomBytes(32)), keys), 'mac');
});
