import test from 'ava';
import { PatternVerifier, PatternWriter } from '../../lab/workloads/probe/pattern.ts';

function stream(id: number, bytes: number, chunk: number): Buffer {
  const writer = new PatternWriter(id);
  const parts: Buffer[] = [];
  for (let sent = 0; sent < bytes; sent += chunk) parts.push(Buffer.from(writer.next(Math.min(chunk, bytes - sent))));
  return Buffer.concat(parts);
}

test('bytes written in one chunking verify in any other chunking, across the pattern period', (t) => {
  const data = stream(3, 3_000_000, 65_536);
  const verifier = new PatternVerifier(3);
  for (let i = 0, size = 1; i < data.length; i += size, size = (size * 7 + 13) % 300_000 || 1) verifier.check(data.subarray(i, i + size));
  t.true(verifier.ok);
  t.is(verifier.bytes, data.length);
});

test('a flipped byte, a lost chunk, or another stream do not verify', (t) => {
  const data = stream(1, 200_000, 10_000);
  const flipped = Buffer.from(data);
  flipped[123_456]! ^= 1;
  const lost = Buffer.concat([data.subarray(0, 50_000), data.subarray(60_000)]);
  for (const [what, bytes, id] of [
    ['flipped', flipped, 1],
    ['lost', lost, 1],
    ['other stream', data, 2],
  ] as const) {
    const verifier = new PatternVerifier(id);
    verifier.check(bytes);
    t.false(verifier.ok, what);
  }
});

test('the verifier counts only bytes before the first mismatch', (t) => {
  const data = stream(0, 1000, 1000);
  const verifier = new PatternVerifier(0);
  verifier.check(data.subarray(0, 400));
  verifier.check(Buffer.alloc(100, 0xff));
  verifier.check(data.subarray(500));
  t.false(verifier.ok);
  t.is(verifier.bytes, 400);
});
