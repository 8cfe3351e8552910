// The links' monitor and switch against a remote that answers probes over loopback (two
// links: 127.0.0.1 and 127.0.0.2), with the kernel's endpoint calls recorded: a silent
// link is declared down and its endpoint taken off only while the other is up, put back
// when it answers again, and everything taken off is put back on stop.
import test from 'ava';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { localConfigSchema } from '../../relay/config.ts';
import type { Endpoint, FailoverAction } from '../../relay/endpoints.ts';
import { Links } from '../../relay/links.ts';
import { createLogger } from '../../relay/log.ts';
import { RelayMetrics } from '../../relay/metrics.ts';
import { decodeProbe, encodeProbe } from '../../relay/probe-wire.ts';
import { MemoryLog, metricValue, waitFor } from './helpers/relays.ts';

const secret = randomBytes(32);

/** Answers probe requests, except from the links in `silent` (by index). */
async function probeAnswerer(t: import('ava').ExecutionContext) {
  const socket = dgram.createSocket('udp4');
  const silent = new Set<number>();
  socket.on('message', (datagram, from) => {
    const probe = decodeProbe(datagram, (id) => (id === 1 ? secret : undefined));
    if (typeof probe === 'string' || silent.has(probe.link)) return;
    socket.send(encodeProbe({ ...probe, kind: 'answer' }, secret), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => socket.close());
  return { port: socket.address().port, silent };
}

function linksFor(port: number, action: FailoverAction) {
  const config = localConfigSchema.parse({
    listen: { address: '127.0.0.1', port: 0 },
    remote: { address: '127.0.0.1', port },
    key: { id: 1, secret: secret.toString('base64') },
    links: [
      { name: 'a', address: '127.0.0.1' },
      { name: 'b', address: '127.0.0.2' },
    ],
    failover: { action, raceRttFactor: 1.5, raceMinMs: 100 },
  });
  const endpoints: Endpoint[] = [
    { id: 2, address: '127.0.0.1', dev: 'lo', flags: ['subflow'] },
    { id: 1, address: '127.0.0.2', dev: 'lo', flags: ['subflow'] },
  ];
  const calls: string[] = [];
  const metrics = new RelayMetrics('local', false);
  const log = new MemoryLog();
  const links = new Links({
    config,
    metrics,
    log: createLogger({ level: 'debug', sink: log }),
    endpoints: async () => endpoints,
    apply: async (how, endpoint, up) => void calls.push(`${how} ${endpoint.id} ${up ? 'up' : 'down'}`),
  });
  return { links, calls, metrics, log };
}

test('a silent link goes down and its endpoint is removed; answering again restores it; new connections avoid it meanwhile', async (t) => {
  const remote = await probeAnswerer(t);
  const { links, calls, metrics, log } = linksFor(remote.port, 'remove');
  await links.start();
  t.teardown(() => links.stop());
  await waitFor(async () => (await metricValue(metrics, 'mprelay_link_up')) === 2, 'both links up', 3_000);
  t.deepEqual(calls, [], 'nothing changes while both are up');
  t.is(links.pick()?.name, 'a', 'a miss takes the first link');
  t.deepEqual(links.up().map(({ link }) => link.name), ['a', 'b'], 'both are up for the pool');
  t.true(links.up().every(({ srttMs }) => srttMs > 0 && srttMs < 100), 'with their probe round trips');

  remote.silent.add(0);
  const silentAtMs = performance.now();
  await waitFor(() => calls.length === 1, 'link a taken off', 3_000);
  const downAfterMs = performance.now() - silentAtMs;
  t.deepEqual(calls, ['remove 2 down']);
  t.is(await metricValue(metrics, 'mprelay_link_up', { link: 'a' }), 0);
  t.is(await metricValue(metrics, 'mprelay_link_transitions_total', { link: 'a', to: 'down' }), 1);
  t.is(links.pick()?.name, 'b', 'a miss now takes link b');
  t.deepEqual(links.up().map(({ link }) => link.name), ['b'], 'and the pool only link b');
  t.true(log.lines.some((line) => line.msg === 'link down' && line.link === 'a'));
  t.log(`link a declared down and taken off ${Math.round(downAfterMs)} ms after its probes stopped being answered`);

  remote.silent.delete(0);
  await waitFor(() => calls.length === 2, 'link a restored', 3_000);
  t.deepEqual(calls, ['remove 2 down', 'remove 2 up']);
  t.is(await metricValue(metrics, 'mprelay_link_switches_total', { link: 'a', result: 'ok' }), 2);
});

test('with both links silent nothing stays taken off (nowhere to move to); stop puts back what was taken off', async (t) => {
  const remote = await probeAnswerer(t);
  const { links, calls } = linksFor(remote.port, 'backup');
  await links.start();
  await waitFor(() => links.up().length === 2, 'links up', 3_000);
  remote.silent.add(1);
  await waitFor(() => calls.length === 1, 'link b flagged backup', 3_000);
  t.deepEqual(calls, ['backup 1 down']);
  remote.silent.add(0);
  await waitFor(() => calls.length === 2, 'link b restored once a is down too', 3_000);
  t.deepEqual(calls, ['backup 1 down', 'backup 1 up'], 'a is not taken off, and b is put back: every link down leaves the kernel as it was');
  t.is(links.pick(), undefined, 'no link up: new connections race');
  t.deepEqual(links.up(), []);
  remote.silent.delete(0);
  await waitFor(() => calls.length === 3, 'b taken off again once a answers', 3_000);
  await links.stop();
  t.deepEqual(calls, ['backup 1 down', 'backup 1 up', 'backup 1 down', 'backup 1 up'], 'stop restores link b');
});
