import test from 'ava';
import fc from 'fast-check';
import { createHmac, randomBytes } from 'node:crypto';
import { SocketAddress } from 'node:net';
import {
  ANSWER_BYTES,
  answerVerifies,
  CHALLENGE_BYTES,
  encodeAnswer,
  HELLO_ANSWER_BYTES,
  unauthenticatedAnswer,
  encodeHeader,
  HeaderDecoder,
  HeaderError,
  HEADER_BYTES,
  NONCE_BYTES,
  statusName,
  STATUS,
  type Header,
} from '../../relay/protocol.ts';

const secret = randomBytes(32);
const keys = (id: number) => (id === 7 ? secret : undefined);

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
// Canonical text form, as the decoder gives it back.
const ipv6 = fc.ipV6().map((a) => new SocketAddress({ address: a, family: 'ipv6' }).address);
const headerArb: fc.Arbitrary<Header> = fc.oneof(
  fc.record({
    type: fc.constant('hello' as const),
    keyId: fc.constant(7),
    timestampMs: fc.nat({ max: 2 ** 48 }),
    nonce: fc.uint8Array({ minLength: NONCE_BYTES, maxLength: NONCE_BYTES }).map((a) => Buffer.from(a)),
  }),
  fc.record({
    type: fc.constant('connect' as const),
    keyId: fc.constant(7),
    timestampMs: fc.nat({ max: 2 ** 48 }),
    nonce: fc.uint8Array({ minLength: NONCE_BYTES, maxLength: NONCE_BYTES }).map((a) => Buffer.from(a)),
    destination: fc.oneof(
      fc.record({ address: ipv4, port: fc.integer({ min: 1, max: 65535 }), family: fc.constant(4 as const) }),
      fc.record({ address: ipv6, port: fc.integer({ min: 1, max: 65535 }), family: fc.constant(6 as const) }),
    ),
  }),
);

test('every header is 58 bytes and round-trips, with the bytes after it kept', (t) => {
  fc.assert(
    fc.property(headerArb, fc.uint8Array({ maxLength: 64 }), (header, tail) => {
      const wire = encodeHeader(header, secret);
      t.is(wire.length, HEADER_BYTES);
      const result = new HeaderDecoder(keys).push(Buffer.concat([wire, tail]));
      t.deepEqual(result, { state: 'header', header, rest: Buffer.from(tail) });
    }),
  );
});

test('headers split at any points reassemble', (t) => {
  fc.assert(
    fc.property(headerArb, fc.array(fc.integer({ min: 1, max: HEADER_BYTES - 1 }), { maxLength: 5 }), (header, cuts) => {
      const wire = encodeHeader(header, secret);
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const decoder = new HeaderDecoder(keys);
      let start = 0;
      for (const point of points) {
        t.deepEqual(decoder.push(wire.subarray(start, point)), { state: 'need-more' });
        start = point;
      }
      t.deepEqual(decoder.push(wire.subarray(start)), { state: 'header', header, rest: Buffer.alloc(0) });
    }),
  );
});

test('every truncation of a valid header needs more, never decodes or fails', (t) => {
  fc.assert(
    fc.property(headerArb, (header) => {
      const wire = encodeHeader(header, secret);
      for (let length = 0; length < HEADER_BYTES; length++) {
        t.deepEqual(new HeaderDecoder(keys).push(wire.subarray(0, length)), { state: 'need-more' });
      }
    }),
    { numRuns: 50 },
  );
});

test('every single-byte change of a valid header is rejected with a typed error', (t) => {
  fc.assert(
    fc.property(headerArb, fc.integer({ min: 0, max: HEADER_BYTES - 1 }), fc.integer({ min: 1, max: 255 }), (header, index, delta) => {
      const wire = Buffer.from(encodeHeader(header, secret));
      wire[index] = ((wire[index] ?? 0) + delta) & 0xff;
      const error = t.throws(() => new HeaderDecoder(keys).push(wire), { instanceOf: HeaderError });
      const expected = index === 0 ? 'version' : index === 1 ? ['type', 'mac'] : index === 2 ? ['unknown-key'] : ['mac'];
      t.true([expected].flat().includes(error.kind), `byte ${index}: ${error.kind}`);
    }),
    { numRuns: 2000 },
  );
});

test('wrong key and unknown key id are told apart', (t) => {
  const header: Header = { type: 'hello', keyId: 7, timestampMs: Date.now(), nonce: randomBytes(NONCE_BYTES) };
  const wrongSecret = t.throws(() => new HeaderDecoder(keys).push(encodeHeader(header, randomBytes(32))), { instanceOf: HeaderError });
  t.like(wrongSecret, { kind: 'mac', message: 'header MAC does not verify' });
  const unknownId = t.throws(() => new HeaderDecoder(keys).push(encodeHeader({ ...header, keyId: 8 }, secret)), { instanceOf: HeaderError });
  t.like(unknownId, { kind: 'unknown-key', message: 'unknown key id 8' });
});

test('a bad version or type is rejected from its first byte, before the rest arrives', (t) => {
  t.like(t.throws(() => new HeaderDecoder(keys).push(Buffer.from([1])), { instanceOf: HeaderError }), {
    kind: 'version',
    message: 'peer speaks protocol version 1, this remote speaks 2: upgrade mprelay on both sides',
  });
  t.like(t.throws(() => new HeaderDecoder(keys).push(Buffer.from([2, 9])), { instanceOf: HeaderError }), {
    kind: 'type',
    message: 'unknown header type 9',
  });
  // An HTTP request sent to the relay port by a scanner fails on its first byte.
  t.like(t.throws(() => new HeaderDecoder(keys).push(Buffer.from('GET / HTTP/1.1\r\n')), { instanceOf: HeaderError }), { kind: 'version' });
});

test('an authenticated header with a bad field is malformed, not accepted', (t) => {
  const header: Header = {
    type: 'connect',
    keyId: 7,
    timestampMs: Date.now(),
    nonce: randomBytes(NONCE_BYTES),
    destination: { address: '203.0.113.5', port: 443, family: 4 },
  };
  const cases: Array<[string, (wire: Buffer) => void]> = [
    ['destination port 0', (w) => w.writeUInt16BE(0, 40)],
    ['IPv4 address padding is not zero', (w) => (w[30] = 1)],
    ['unknown address family 5', (w) => (w[3] = 5)],
  ];
  for (const [message, change] of cases) {
    const wire = encodeHeader(header, secret);
    change(wire);
    const resigned = encodeHeaderRaw(wire);
    t.like(t.throws(() => new HeaderDecoder(keys).push(resigned), { instanceOf: HeaderError }), { kind: 'malformed', message });
  }
});

/** Recomputes the MAC over changed bytes, as a keyed but buggy sender would produce them. */
function encodeHeaderRaw(wire: Buffer): Buffer {
  const out = Buffer.from(wire);
  createHmac('sha256', secret).update(out.subarray(0, 42)).update(Buffer.alloc(16)).digest().subarray(0, 16).copy(out, 42);
  return out;
}

test('a header bound to a challenge decodes only where that challenge was issued', (t) => {
  const header: Header = { type: 'connect', keyId: 7, timestampMs: Date.now(), nonce: randomBytes(NONCE_BYTES), destination: { address: '203.0.113.5', port: 443, family: 4 } };
  const challenge = randomBytes(CHALLENGE_BYTES);
  const bound = encodeHeader(header, secret, challenge);
  t.like(t.throws(() => new HeaderDecoder(keys).push(bound), { instanceOf: HeaderError }), { kind: 'mac' });
  const elsewhere = new HeaderDecoder(keys);
  elsewhere.bind(randomBytes(CHALLENGE_BYTES));
  t.like(t.throws(() => elsewhere.push(bound), { instanceOf: HeaderError }), { kind: 'mac' });
  const here = new HeaderDecoder(keys);
  here.bind(challenge);
  t.deepEqual(here.push(bound), { state: 'header', header, rest: Buffer.alloc(0) });
});

test('answers are signed over the request nonce, the code and the challenge; any change fails', (t) => {
  const nonce = randomBytes(NONCE_BYTES);
  const ok = encodeAnswer({ code: STATUS.ok, challenge: randomBytes(CHALLENGE_BYTES) }, secret, nonce);
  const refused = encodeAnswer({ code: STATUS.refused }, secret, nonce);
  t.deepEqual([ok.length, refused.length], [HELLO_ANSWER_BYTES, ANSWER_BYTES]);
  t.true(answerVerifies(ok, secret, nonce));
  t.true(answerVerifies(refused, secret, nonce));
  t.false(answerVerifies(refused, secret, randomBytes(NONCE_BYTES)), 'another request');
  t.false(answerVerifies(refused, randomBytes(32), nonce), 'another key');
  for (let i = 0; i < ok.length; i++) {
    const changed = Buffer.from(ok);
    changed[i] = (changed[i] ?? 0) ^ 1;
    t.false(answerVerifies(changed, secret, nonce), `byte ${i}`);
  }
  t.false(answerVerifies(unauthenticatedAnswer(STATUS.ok), secret, nonce), 'an unsigned ok');
});

test('status codes have names, unknown codes have none', (t) => {
  t.is(statusName(STATUS.overload), 'overload');
  t.is(statusName(0x42), undefined);
});
