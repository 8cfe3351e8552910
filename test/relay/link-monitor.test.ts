// The local's link monitor against a remote that answers the probes of the links it is
// told to (UDP on loopback; link A from 127.0.0.1, link B from 127.0.0.2): a link that is
// not up is probed four times as often as one that is, until its answers make it up.
// Asserted on the probes the remote counts in the same run (ratios with slack), not on times.
import test from 'ava';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { LinkMonitor, type MonitoredLink } from '../../relay/link-monitor.ts';
import type { LinkVerdict } from '../../relay/link-health.ts';
import { createLogger } from '../../relay/log.ts';
import { RelayMetrics } from '../../relay/metrics.ts';
import { decodeProbe, encodeProbe } from '../../relay/probe-wire.ts';
import { MemoryLog, testSecret, waitFor } from './helpers/relays.ts';

const A: MonitoredLink = { name: 'a', address: '127.0.0.1' };
const B: MonitoredLink = { name: 'b', address: '127.0.0.2' };
const key = { id: 1, secret: Buffer.from(testSecret, 'base64') };

/** A remote's probe port that counts requests per link index and answers those of `answering`. */
async function countingRemote(t: import('ava').ExecutionContext) {
  const socket = dgram.createSocket('udp4');
  const requests = [0, 0];
  const answering = new Set<number>();
  socket.on('message', (datagram, from) => {
    const probe = decodeProbe(datagram, (id) => (id === key.id ? key.secret : undefined));
    if (typeof probe === 'string' || probe.kind !== 'request') return;
    requests[probe.link] = (requests[probe.link] ?? 0) + 1;
    if (answering.has(probe.link)) socket.send(encodeProbe({ ...probe, kind: 'answer' }, key.secret), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => socket.close());
  return { port: (socket.address() as AddressInfo).port, requests, answering };
}

/** Requests per link counted over `ms`. */
async function countFor(requests: number[], ms: number): Promise<[number, number]> {
  const before = [...requests];
  await new Promise((resolve) => setTimeout(resolve, ms));
  return [(requests[0] ?? 0) - (before[0] ?? 0), (requests[1] ?? 0) - (before[1] ?? 0)];
}

test('a link that is not up is probed four times per interval, one that is up once; back to once when it answers', async (t) => {
  const remote = await countingRemote(t);
  remote.answering.add(0);
  const verdicts: Array<[string, LinkVerdict]> = [];
  const monitor = new LinkMonitor({
    links: [A, B],
    remote: { address: '127.0.0.1', port: remote.port },
    key,
    health: { intervalMs: 100, downAfterMs: 300, upAfter: 3 },
    capacityEveryMs: 0,
    metrics: new RelayMetrics('local', false),
    log: createLogger({ level: 'debug', sink: new MemoryLog() }),
    onChange: (link, verdict) => verdicts.push([link.name, verdict]),
  });
  await monitor.start();
  t.teardown(() => monitor.stop());
  await waitFor(() => monitor.verdict('a') === 'up' && monitor.verdict('b') === 'down', 'A up and B down');

  const [upA, silentB] = await countFor(remote.requests, 1000);
  t.log(`1 s with A up and B silent: ${upA} probes over A, ${silentB} over B`);
  t.true(upA >= 5 && silentB >= 2.5 * upA, `B not up is probed ~4x as often as A: ${silentB} vs ${upA}`);

  remote.answering.add(1);
  await waitFor(() => monitor.verdict('b') === 'up', 'B up');
  const [bothA, bothB] = await countFor(remote.requests, 1000);
  t.log(`1 s with both up: ${bothA} probes over A, ${bothB} over B`);
  t.true(bothB <= 1.5 * bothA && bothB >= bothA / 1.5, `once up, B is probed as often as A: ${bothB} vs ${bothA}`);
  t.deepEqual(verdicts, [
    ['a', 'up'],
    ['b', 'down'],
    ['b', 'up'],
  ]);
});
