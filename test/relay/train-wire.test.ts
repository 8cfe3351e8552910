// The capacity train datagram: round trip, and every way a datagram is refused.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { decodeTrainDatagram, encodeTrainDatagram, isTrainSized, TRAIN_BYTES, type TrainDatagram } from '../../relay/train-wire.ts';

const secret = randomBytes(32);
const keys = (id: number) => (id === 7 ? secret : undefined);
const datagram: TrainDatagram = { kind: 'up', keyId: 7, link: 1, count: 8, trainId: 4_000_000_000, index: 7, sentAtMs: 1_764_590_000_123, upSpreadUs: 0, upBytes: 0 };

test('a train datagram decodes to what was encoded, up or down with the figure of the train up', (t) => {
  const wire = encodeTrainDatagram(datagram, secret);
  t.is(wire.length, TRAIN_BYTES);
  t.true(isTrainSized(wire));
  t.deepEqual(decodeTrainDatagram(wire, keys), datagram);
  const down: TrainDatagram = { ...datagram, kind: 'down', index: 0, upSpreadUs: 67_250, upBytes: 8400 };
  t.deepEqual(decodeTrainDatagram(encodeTrainDatagram(down, secret), keys), down);
});

test('refused: wrong size, magic, kind, a place past the count, unknown key, any flipped bit (MAC, padding included), another key', (t) => {
  const wire = encodeTrainDatagram(datagram, secret);
  t.is(decodeTrainDatagram(wire.subarray(0, TRAIN_BYTES - 1), keys), 'size');
  t.false(isTrainSized(wire.subarray(0, 36)));
  const flip = (at: number, bit = 1) => {
    const copy = Buffer.from(wire);
    copy[at] = (copy[at] ?? 0) ^ bit;
    return copy;
  };
  t.is(decodeTrainDatagram(flip(0), keys), 'magic');
  t.is(decodeTrainDatagram(flip(4, 4), keys), 'kind');
  t.is(decodeTrainDatagram(flip(5), keys), 'unknown-key');
  t.is(decodeTrainDatagram(encodeTrainDatagram({ ...datagram, count: 0, index: 0 }, secret), keys), 'count');
  t.is(decodeTrainDatagram(encodeTrainDatagram({ ...datagram, index: 8 }, secret), keys), 'count');
  for (const at of [6, 8, 13, 16, 24, 28, 600, TRAIN_BYTES - 13, TRAIN_BYTES - 1]) t.is(decodeTrainDatagram(flip(at), keys), 'mac', `bit flipped at ${at}`);
  t.is(decodeTrainDatagram(encodeTrainDatagram(datagram, randomBytes(32)), keys), 'mac');
});
