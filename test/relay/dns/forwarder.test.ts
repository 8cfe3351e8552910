// The forwarder against real resolvers in a private namespace: Debian's dnsmasq over
// TCP, and resolvers that misbehave (never answer, answer with the wrong ID, answer only
// the second stream). Streams here are plain TCP connections; relay.test.ts-style runs
// through the relay are in server.test.ts.
import test from 'ava';
import { once } from 'node:events';
import net from 'node:net';
import { forwardQuery, type OpenStream } from '../../../relay/dns/forwarder.ts';
import { answerAddresses, encodeQuery, frame, readHeader } from '../../../relay/dns/wire.ts';
import { startDnsmasq, type DnsmasqServer } from '../../../lab/topology/dns-server.ts';
import { enterNewNamespace, type TestNamespace } from '../helpers/netns.ts';
import { waitFor } from '../helpers/relays.ts';

const DNSMASQ = '127.0.0.53';
const ZONE = { domain: 'mplab.test', hosts: { 'server.mplab.test': '203.0.113.2' } };

let ns: TestNamespace;
let dnsmasq: DnsmasqServer;

test.before(async () => {
  ns = await enterNewNamespace('dnsfwd');
  dnsmasq = await startDnsmasq(ns.name, { address: DNSMASQ, zone: ZONE, logFile: '/dev/null' });
});

test.after.always(async () => {
  await dnsmasq?.stop();
  await ns?.destroy();
});

/** Streams as plain TCP connections (no relay): the payload written at once, accepted once connected. */
let opened: net.Socket[] = [];
const direct: OpenStream = async (destination, payload) => {
  const socket = net.connect(destination.port, destination.address);
  opened.push(socket);
  socket.write(payload);
  return { socket, accepted: once(socket, 'connect').then(() => undefined, () => 'connect-failed') };
};

/** A TCP resolver on port 0 that hands each connection (numbered from 0) to `onConnection`; counts those still open. */
async function misbehaving(onConnection: (socket: net.Socket, n: number) => void) {
  const open = new Set<net.Socket>();
  let n = 0;
  const server = net.createServer((socket) => {
    open.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => open.delete(socket));
    onConnection(socket, n++);
    socket.resume(); // reads (and drops) what nobody else does, so that the peer's close is seen
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return { destination: { address: '127.0.0.1', port, family: 4 as const }, open, connections: () => n, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const query = encodeQuery('server.mplab.test', 0x5151);
const dnsmasqDestination = { address: DNSMASQ, port: 53, family: 4 as const };

test.serial('a query forwarded over TCP to dnsmasq comes back answered, on the first stream', async (t) => {
  opened = [];
  const outcome = await forwardQuery({ open: direct, timeoutMs: 2_000, retryAfterMs: 1_000 }, query, dnsmasqDestination);
  if (outcome.kind !== 'answer') return t.fail(`no answer: ${outcome.why}`);
  t.is(outcome.attempts, 1);
  t.like(readHeader(outcome.answer), { id: 0x5151, response: true, rcode: 0, ancount: 1 });
  t.deepEqual(answerAddresses(outcome.answer), ['203.0.113.2']);
  await waitFor(() => opened.every((s) => s.destroyed), 'the stream to be closed');
  t.pass();
});

test.serial('a resolver that never answers: failed with timeout after both attempts, and every stream is closed at both ends', async (t) => {
  const silent = await misbehaving(() => {});
  opened = [];
  const outcome = await forwardQuery({ open: direct, timeoutMs: 600, retryAfterMs: 200 }, query, silent.destination);
  t.deepEqual(outcome, { kind: 'failed', why: 'timeout', attempts: 2 });
  t.is(silent.connections(), 2);
  await waitFor(() => silent.open.size === 0, 'the resolver to see both streams closed', 5_000);
  t.true(opened.every((s) => s.destroyed));
  await silent.close();
});

test.serial('a stream that is only opened after the deadline is closed as soon as it exists', async (t) => {
  const silent = await misbehaving(() => {});
  opened = [];
  const late: OpenStream = async (destination, payload) => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    return direct(destination, payload);
  };
  const outcome = await forwardQuery({ open: late, timeoutMs: 200, retryAfterMs: 100 }, query, silent.destination);
  t.deepEqual(outcome, { kind: 'failed', why: 'timeout', attempts: 2 });
  await waitFor(() => opened.length === 2 && opened.every((s) => s.destroyed), 'both late streams to be closed', 5_000);
  await waitFor(() => silent.open.size === 0, 'the resolver to see them closed', 5_000);
  t.pass();
  await silent.close();
});

test.serial('an answer with the wrong ID is not taken: the query fails after the retry says the same', async (t) => {
  const liar = await misbehaving((socket) =>
    socket.once('data', (chunk: Buffer) => {
      const answer = Buffer.from(chunk.subarray(2));
      answer.writeUInt16BE(answer.readUInt16BE(0) ^ 1, 0);
      answer.writeUInt16BE(0x8180, 2);
      socket.end(frame(answer));
    }),
  );
  const outcome = await forwardQuery({ open: direct, timeoutMs: 2_000, retryAfterMs: 1_000 }, query, liar.destination);
  t.deepEqual(outcome, { kind: 'failed', why: 'answer-wrong-id', attempts: 2 });
  await liar.close();
});

test.serial('a stream that stays silent (a pooled connection on a link that just died): the retry on a second stream answers', async (t) => {
  // The first connection is held silent; the second is carried on to dnsmasq.
  const flaky = await misbehaving((socket, n) => {
    if (n === 0) return;
    const upstream = net.connect(53, DNSMASQ);
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  const outcome = await forwardQuery({ open: direct, timeoutMs: 2_000, retryAfterMs: 200 }, query, flaky.destination);
  if (outcome.kind !== 'answer') return t.fail(`no answer: ${outcome.why}`);
  t.is(outcome.attempts, 2);
  t.deepEqual(answerAddresses(outcome.answer), ['203.0.113.2']);
  await waitFor(() => flaky.open.size === 0, 'both streams closed, the silent one too', 5_000);
  await flaky.close();
});

test.serial('a resolver that refuses the connection: both attempts fail at once, no waiting for the timeout', async (t) => {
  const gone = await misbehaving(() => {});
  await gone.close();
  const outcome = await forwardQuery({ open: direct, timeoutMs: 10_000, retryAfterMs: 5_000 }, query, gone.destination);
  t.deepEqual(outcome, { kind: 'failed', why: 'stream-ECONNREFUSED', attempts: 2 });
});
