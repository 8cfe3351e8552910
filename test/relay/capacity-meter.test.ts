// The local's capacity trains on synthetic arrival times: a train up goes out whole, the
// answer down gives both directions (up from the figure it carries, down from its own
// arrivals), a train down nobody asked for or for another link is ignored, one whose last
// datagram is lost is judged on what came. Then against a real remote responder on
// loopback: a link that comes up is measured at once, and the remote never sends down more
// than came up, nor anything for a train it cannot verify.
import test from 'ava';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { CapacityMeter, TRAIN_COUNT } from '../../relay/capacity-meter.ts';
import { LinkMonitor } from '../../relay/link-monitor.ts';
import { createLogger } from '../../relay/log.ts';
import { RelayMetrics } from '../../relay/metrics.ts';
import { ProbeResponder } from '../../relay/probe-responder.ts';
import { decodeTrainDatagram, encodeTrainDatagram, TRAIN_BYTES, type TrainDatagram } from '../../relay/train-wire.ts';
import { MemoryLog, testSecret, waitFor } from './helpers/relays.ts';

const key = { id: 1, secret: Buffer.from(testSecret, 'base64') };
const keys = (id: number) => (id === key.id ? key.secret : undefined);
const log = () => createLogger({ level: 'debug', sink: new MemoryLog() });

/** A meter over links a and b whose trains up are kept, decoded, per link index. */
function meterWithSent() {
  const sent: Array<{ link: number; datagram: TrainDatagram }> = [];
  const meter = new CapacityMeter({
    links: ['a', 'b'],
    key: () => key,
    send: (link, datagram) => {
      const decoded = decodeTrainDatagram(datagram, keys);
      if (typeof decoded !== 'string') sent.push({ link, datagram: decoded });
    },
    metrics: new RelayMetrics('local', false),
    log: log(),
  });
  return { meter, sent };
}

/** The remote's answer to `up`: `count` datagrams down carrying the up figure. */
const answer = (up: TrainDatagram, count: number, upSpreadUs: number, upBytes: number) =>
  Array.from({ length: count }, (_, index) => encodeTrainDatagram({ ...up, kind: 'down', count, index, upSpreadUs, upBytes }, key.secret));

test('a train up goes out whole; its answer gives the link both ways: up as the remote timed it, down from its own arrivals', (t) => {
  const { meter, sent } = meterWithSent();
  meter.measure(1, 0);
  t.is(sent.length, TRAIN_COUNT);
  t.true(sent.every((s) => s.link === 1 && s.datagram.kind === 'up' && s.datagram.link === 1 && s.datagram.count === TRAIN_COUNT));
  t.deepEqual(sent.map((s) => s.datagram.index), [...Array(TRAIN_COUNT).keys()]);
  const up = sent[0]!.datagram;
  // Up: 8400 bytes over 67.2 ms (1 Mbit/s). Down: 1200 bytes every 1.6 ms (6 Mbit/s).
  answer(up, TRAIN_COUNT, 67_200, 8400).forEach((datagram, i) => meter.received(1, datagram, 100 + i * 1.6));
  t.is(meter.bytesPerMs(1, 'up'), 125);
  t.is(Math.round(meter.bytesPerMs(1, 'down') ?? 0), 750);
  t.is(meter.bytesPerMs(0, 'up'), undefined, 'link a: no train yet');
});

test('a train down nobody asked for, or that came over another link, is ignored; one whose last datagram is lost is judged on what came', (t) => {
  const { meter, sent } = meterWithSent();
  meter.measure(0, 0);
  const up = sent[0]!.datagram;
  answer({ ...up, trainId: up.trainId + 1 }, TRAIN_COUNT, 67_200, 8400).forEach((datagram, i) => meter.received(0, datagram, 100 + i));
  answer(up, TRAIN_COUNT, 67_200, 8400).forEach((datagram, i) => meter.received(1, datagram, 100 + i));
  meter.expire(5000);
  t.is(meter.bytesPerMs(0, 'up'), undefined);
  t.is(meter.bytesPerMs(0, 'down'), undefined);

  meter.measure(0, 6000);
  const second = sent[TRAIN_COUNT]!.datagram;
  answer(second, TRAIN_COUNT, 67_200, 8400)
    .slice(0, 5)
    .forEach((datagram, i) => meter.received(0, datagram, 6100 + i * 2));
  t.is(meter.bytesPerMs(0, 'down'), undefined, 'still waiting for its last datagram');
  meter.expire(7100);
  t.is(meter.bytesPerMs(0, 'down'), 600, '4 x 1200 bytes over 8 ms');
  t.is(meter.bytesPerMs(0, 'up'), 125);
});

/** A UDP port free now on 127.0.0.1. */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address() as AddressInfo;
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

async function startResponder(t: import('ava').ExecutionContext): Promise<{ port: number; metrics: RelayMetrics }> {
  const metrics = new RelayMetrics('remote', false);
  const responder = new ProbeResponder({ listen: { address: '127.0.0.1' }, secretOf: keys, replayWindowMs: 30_000, silenceMs: 300, metrics, log: log() });
  const port = await freeUdpPort();
  await responder.start(port);
  t.teardown(() => responder.stop());
  return { port, metrics };
}

test('against a remote: a link that comes up is measured at once, both ways', async (t) => {
  const remote = await startResponder(t);
  const metrics = new RelayMetrics('local', false);
  const monitor = new LinkMonitor({
    links: [
      { name: 'a', address: '127.0.0.1' },
      { name: 'b', address: '127.0.0.2' },
    ],
    remote: { address: '127.0.0.1', port: remote.port },
    key,
    health: { intervalMs: 100, downAfterMs: 300, upAfter: 3 },
    capacityEveryMs: 1000,
    metrics,
    log: log(),
    onChange: () => {},
  });
  await monitor.start();
  t.teardown(() => monitor.stop());
  const measured = () => ['a', 'b'].every((link) => (['up', 'down'] as const).every((direction) => (monitor.capacityBytesPerMs(link, direction) ?? 0) > 0));
  await waitFor(measured, 'both links measured both ways');
  const exposition = await metrics.registry.metrics();
  t.regex(exposition, /mprelay_link_capacity_bytes_per_second\{link="b",direction="down",side="local"\} \d/);
  t.regex(await remote.metrics.registry.metrics(), /mprelay_probes_total\{result="train-answered",side="remote"\} [1-9]/);
});

test('the remote sends down as many datagrams as came up, never more, and nothing for a train it cannot verify or that is stale', async (t) => {
  const remote = await startResponder(t);
  const socket = dgram.createSocket('udp4');
  const got: TrainDatagram[] = [];
  socket.on('message', (datagram) => {
    const decoded = decodeTrainDatagram(datagram, keys);
    if (typeof decoded !== 'string') got.push(decoded);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => socket.close());
  const up = (trainId: number, index: number, secret = key.secret, sentAtMs = Date.now()) =>
    encodeTrainDatagram({ kind: 'up', keyId: key.id, link: 0, count: 8, trainId, index, sentAtMs, upSpreadUs: 0, upBytes: 0 }, secret);
  for (let index = 0; index < 5; index++) socket.send(up(1, index), remote.port, '127.0.0.1');
  for (let index = 0; index < 8; index++) socket.send(up(2, index, Buffer.alloc(32, 9)), remote.port, '127.0.0.1');
  for (let index = 0; index < 8; index++) socket.send(up(3, index, key.secret, Date.now() - 60_000), remote.port, '127.0.0.1');
  await waitFor(() => got.length >= 5, 'the answer to the 5 datagrams of train 1 (its last 3 lost)', 5000);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.is(got.length, 5);
  t.true(got.every((d) => d.kind === 'down' && d.trainId === 1 && d.count === 5 && d.upBytes === 4 * TRAIN_BYTES));
  const exposition = await remote.metrics.registry.metrics();
  t.regex(exposition, /mprelay_probes_total\{result="train-mac",side="remote"\} 8/);
  t.regex(exposition, /mprelay_probes_total\{result="train-stale",side="remote"\} 8/);
});
