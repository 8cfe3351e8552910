// The remote as the public internet sees it: every rejected header is dropped without
// any outbound connection (counted on a real listening destination), and a fuzzer
// neither crashes it nor leaks a socket.
import test from 'ava';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { encodeHeader, HEADER_BYTES, NONCE_BYTES, type Header } from '../../relay/protocol.ts';
import { startEchoServer, type EchoServer } from './helpers/echo.ts';
import { metricValue, startRemote, testSecret, waitFor } from './helpers/relays.ts';

const secret = Buffer.from(testSecret, 'base64');

let echo: EchoServer;
test.before(async () => {
  echo = await startEchoServer('127.0.0.1');
});
test.after.always(() => echo?.close());

function connectHeader(overrides: Partial<Extract<Header, { type: 'connect' }>> = {}, key = secret): Buffer {
  return encodeHeader(
    {
      type: 'connect',
      keyId: 1,
      timestampMs: Date.now(),
      nonce: randomBytes(NONCE_BYTES),
      destination: { address: '127.0.0.1', port: echo.port, family: 4 },
      ...overrides,
    },
    key,
  );
}

interface Exchange {
  /** Everything the remote sent before the connection ended. */
  response: Buffer;
  /** How it ended: 'end' (FIN) or the socket error code (a reset). */
  ending: string;
}

/** Sends bytes in the given pieces, half-closes if asked, and collects the answer. */
function exchange(port: number, pieces: Buffer[], options: { halfClose?: boolean; keepOpenMs?: number } = {}): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let ending = 'end';
    socket.on('connect', async () => {
      for (const piece of pieces) {
        socket.write(piece);
        await new Promise((r) => setImmediate(r));
      }
      if (options.halfClose) socket.end();
      if (options.keepOpenMs !== undefined) setTimeout(() => socket.end(), options.keepOpenMs);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (ending = error.code ?? 'error'));
    socket.on('end', () => socket.end());
    socket.on('close', () => resolve({ response: Buffer.concat(chunks), ending }));
  });
}

const rejectionKinds = (remote: Awaited<ReturnType<typeof startRemote>>) => remote.logs.lines.filter((l) => l.msg === 'header rejected').map((l) => l.kind);

test.serial('a valid header is relayed: status ok, then the echo of the early data', async (t) => {
  const remote = await startRemote({ allowDestinations: ['127.0.0.0/8'] });
  const before = echo.accepted;
  const result = await exchange(remote.address.port, [Buffer.concat([connectHeader(), Buffer.from('hello')])], { halfClose: true });
  t.deepEqual(result, { response: Buffer.from('\x00hello'), ending: 'end' });
  t.is(echo.accepted, before + 1);
  await remote.relay.stop();
});

test.serial('wrong key, unknown key id, stale and replayed headers get auth failure and no outbound connection', async (t) => {
  const remote = await startRemote({ allowDestinations: ['127.0.0.0/8'] });
  const port = remote.address.port;
  const replayed = connectHeader();
  t.is((await exchange(port, [replayed], { halfClose: true })).response[0], 0x00);
  const before = echo.accepted;
  const authFailure = { response: Buffer.from([0x01]), ending: 'end' };
  t.deepEqual(await exchange(port, [connectHeader({}, randomBytes(32))]), authFailure);
  t.deepEqual(await exchange(port, [connectHeader({ keyId: 9 })]), authFailure);
  t.deepEqual(await exchange(port, [connectHeader({ timestampMs: Date.now() - 120_000 })]), authFailure);
  t.deepEqual(await exchange(port, [connectHeader({ timestampMs: Date.now() + 120_000 })]), authFailure);
  t.deepEqual(await exchange(port, [replayed]), authFailure);
  t.is(echo.accepted, before);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'header-mac' }), 1);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'header-unknown-key' }), 1);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'header-stale' }), 2);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'header-replay' }), 1);
  // All from one source within a minute: logged once, the rest counted as suppressed.
  t.deepEqual(rejectionKinds(remote), ['mac']);
  await remote.relay.stop();
});

test.serial('destinations refused by policy get status 2 and no outbound connection', async (t) => {
  const remote = await startRemote({ allowDestinations: [] });
  const port = remote.address.port;
  const before = echo.accepted;
  const refused = { response: Buffer.from([0x02]), ending: 'end' };
  t.deepEqual(await exchange(port, [connectHeader()]), refused); // loopback
  t.deepEqual(await exchange(port, [connectHeader({ destination: { address: '::1', port: echo.port, family: 6 } })]), refused);
  t.deepEqual(await exchange(port, [connectHeader({ destination: { address: '::ffff:127.0.0.1', port: echo.port, family: 6 } })]), refused);
  t.deepEqual(await exchange(port, [connectHeader({ destination: { address: '10.1.2.3', port: 80, family: 4 } })]), refused);
  t.deepEqual(await exchange(port, [connectHeader({ destination: { address: '169.254.169.254', port: 80, family: 4 } })]), refused);
  t.deepEqual(await exchange(port, [connectHeader({ destination: { address: '224.0.0.1', port: 80, family: 4 } })]), refused);
  t.is(echo.accepted, before);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'policy-loopback' }), 3);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'policy-private' }), 1);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'policy-link-local' }), 1);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'policy-multicast' }), 1);
  await remote.relay.stop();
});

test.serial("the remote's own public addresses are refused, unless allowed", async (t) => {
  const own = () => ['127.0.0.1', '198.51.100.7', '2001:db8::7'];
  const remote = await startRemote({ allowDestinations: [] }, own);
  const refused = { response: Buffer.from([0x02]), ending: 'end' };
  t.deepEqual(await exchange(remote.address.port, [connectHeader({ destination: { address: '198.51.100.7', port: 443, family: 4 } })]), refused);
  t.deepEqual(await exchange(remote.address.port, [connectHeader({ destination: { address: '2001:db8:0::7', port: 443, family: 6 } })]), refused);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'policy-own-address' }), 2);
  await remote.relay.stop();
  const allowing = await startRemote({ allowDestinations: ['127.0.0.1/32'] }, own);
  const result = await exchange(allowing.address.port, [Buffer.concat([connectHeader(), Buffer.from('y')])], { halfClose: true });
  t.deepEqual(result, { response: Buffer.from('\x00y'), ending: 'end' });
  await allowing.relay.stop();
});

test.serial('garbage is dropped with a reset and no answer; a header that never completes times out', async (t) => {
  const remote = await startRemote({ allowDestinations: ['127.0.0.0/8'], headerTimeoutMs: 200 });
  const before = echo.accepted;
  t.deepEqual(await exchange(remote.address.port, [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]), { response: Buffer.alloc(0), ending: 'ECONNRESET' });
  t.deepEqual(await exchange(remote.address.port, [connectHeader().subarray(0, 30)]), { response: Buffer.alloc(0), ending: 'ECONNRESET' });
  t.is(echo.accepted, before);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'header-version' }), 1);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'header-header-timeout' }), 1);
  await remote.relay.stop();
});

test.serial('a hello is answered and the same connection then relays (key rotation: second key id)', async (t) => {
  const second = randomBytes(32);
  const remote = await startRemote({
    allowDestinations: ['127.0.0.0/8'],
    keys: [
      { id: 1, secret: testSecret },
      { id: 2, secret: second.toString('base64') },
    ],
  });
  const hello = encodeHeader({ type: 'hello', keyId: 2, timestampMs: Date.now(), nonce: randomBytes(NONCE_BYTES) }, second);
  const result = await exchange(remote.address.port, [hello, Buffer.concat([connectHeader({ keyId: 2 }, second), Buffer.from('x')])], { halfClose: true });
  t.deepEqual(result, { response: Buffer.from('\x00\x00x'), ending: 'end' });
  await remote.relay.stop();
});

test.serial('over the connection limit, a new connection is answered overload', async (t) => {
  const remote = await startRemote({ allowDestinations: ['127.0.0.0/8'], maxConnections: 1 });
  const holder = net.connect({ host: '127.0.0.1', port: remote.address.port });
  await waitFor(() => remote.relay.openConnections === 1, 'the first connection');
  t.deepEqual(await exchange(remote.address.port, [connectHeader()]), { response: Buffer.from([0x06]), ending: 'end' });
  holder.destroy();
  await remote.relay.stop();
});

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

test.serial('fuzz: random and mutated headers never crash the remote, never connect out, never leak a socket', async (t) => {
  const remote = await startRemote({ allowDestinations: ['127.0.0.0/8'], headerTimeoutMs: 300 });
  const port = remote.address.port;
  const valid = connectHeader();
  const input = fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 200 }).map((a) => [Buffer.from(a)]),
    fc.tuple(fc.integer({ min: 0, max: HEADER_BYTES - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, d]) => {
      const wire = Buffer.from(connectHeader());
      wire[i] = ((wire[i] ?? 0) + d) & 0xff;
      return [wire];
    }),
    fc.integer({ min: 0, max: HEADER_BYTES - 1 }).map((n) => [valid.subarray(0, n)]),
    // Junk spliced into a header (after a complete header it would be payload, so not there).
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 60 }), fc.nat(HEADER_BYTES - 1)).map(([junk, at]) => {
      const wire = Buffer.from(connectHeader());
      return [wire.subarray(0, at), Buffer.from(junk), wire.subarray(at)];
    }),
    fc.constant([valid] as Buffer[]), // a replay of one valid header, over and over
  );
  // Warm up Node's lazily opened fds before counting; this also spends `valid`, so every later copy is a replay.
  t.is((await exchange(port, [valid], { halfClose: true })).response[0], 0x00);
  await waitFor(() => remote.relay.openConnections === 0, 'warm-up to close');
  const fdsBefore = openFds();
  const acceptedBefore = echo.accepted;
  const samples = fc.sample(input, { numRuns: 400, seed: 42 });
  // 20 at a time, as a scanner would.
  for (let i = 0; i < samples.length; i += 20) {
    await Promise.all(samples.slice(i, i + 20).map((pieces) => exchange(port, pieces, { halfClose: Math.random() < 0.5, keepOpenMs: 1000 })));
  }
  await waitFor(() => remote.relay.openConnections === 0, 'every fuzz connection to close');
  await waitFor(() => openFds() === fdsBefore, `fds back to ${fdsBefore} (now ${openFds()})`, 5000).catch(() => {});
  t.is(echo.accepted - acceptedBefore, 0);
  t.is(openFds(), fdsBefore);
  const rejected = await metricValue(remote.metrics, 'mprelay_connections_total', { result: 'rejected' });
  t.is(rejected, samples.length);
  t.log(`${samples.length} fuzz connections, ${rejected} rejected, outbound ${echo.accepted - acceptedBefore}, fds ${fdsBefore} -> ${openFds()}`);
  // Still serving.
  const after = await exchange(port, [Buffer.concat([connectHeader(), Buffer.from('ok')])], { halfClose: true });
  t.deepEqual(after, { response: Buffer.from('\x00ok'), ending: 'end' });
  await remote.relay.stop();
});
