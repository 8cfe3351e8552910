// The remote as the public internet sees it: every rejected header is dropped without
// any outbound connection (counted on a real listening destination), and a fuzzer
// neither crashes it nor leaks a socket.
import test from 'ava';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { ANSWER_BYTES, answerVerifies, encodeHeader, HEADER_BYTES, HELLO_ANSWER_BYTES, NONCE_BYTES, PROTOCOL_VERSION, type Header } from '../../relay/protocol.ts';
import { startEchoServer, type EchoServer } from './helpers/echo.ts';
import { metricValue, startRemote, testSecret, waitFor } from './helpers/relays.ts';

const secret = Buffer.from(testSecret, 'base64');

let echo: EchoServer;
test.before(async () => {
  echo = await startEchoServer('127.0.0.1');
});
test.after.always(() => echo?.close());

type Connect = Extract<Header, { type: 'connect' }>;

function connect(overrides: Partial<Connect> = {}): Connect {
  return { type: 'connect', keyId: 1, timestampMs: Date.now(), nonce: randomBytes(NONCE_BYTES), destination: { address: '127.0.0.1', port: echo.port, family: 4 }, ...overrides };
}

function connectHeader(overrides: Partial<Connect> = {}, key = secret, challenge?: Buffer): Buffer {
  return encodeHeader(connect(overrides), key, challenge);
}

function hello(nonce = randomBytes(NONCE_BYTES), key = secret, keyId = 1): Buffer {
  return encodeHeader({ type: 'hello', keyId, timestampMs: Date.now(), nonce }, key);
}

/** The answer at the start of `response` (17 bytes; 33 for an ok to a hello) and whether it verifies for `nonce`. */
function answerOf(response: Buffer, nonce: Buffer, length = ANSWER_BYTES) {
  const wire = response.subarray(0, length);
  return { code: wire[0], verified: answerVerifies(wire, secret, nonce), rest: response.subarray(length) };
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
  const request = connect();
  const result = await exchange(remote.address.port, [Buffer.concat([encodeHeader(request, secret), Buffer.from('hello')])], { halfClose: true });
  t.is(result.ending, 'end');
  t.deepEqual(answerOf(result.response, request.nonce), { code: 0x00, verified: true, rest: Buffer.from('hello') });
  t.is(echo.accepted, before + 1);
  await remote.relay.stop();
});

test.serial('wrong key, unknown key id, stale and replayed headers get auth failure and no outbound connection', async (t) => {
  const remote = await startRemote({ allowDestinations: ['127.0.0.0/8'] });
  const port = remote.address.port;
  const replayed = connect();
  t.is((await exchange(port, [encodeHeader(replayed, secret)], { halfClose: true })).response[0], 0x00);
  const before = echo.accepted;
  // Without the key the remote cannot sign its refusal: zeros where the MAC goes.
  const unsigned = { response: Buffer.from([0x01, ...Buffer.alloc(16)]), ending: 'end' };
  t.deepEqual(await exchange(port, [connectHeader({}, randomBytes(32))]), unsigned);
  t.deepEqual(await exchange(port, [connectHeader({ keyId: 9 })]), unsigned);
  // With a valid MAC (stale clock, replay) the refusal is signed for the request's nonce.
  for (const request of [connect({ timestampMs: Date.now() - 120_000 }), connect({ timestampMs: Date.now() + 120_000 }), replayed]) {
    const result = await exchange(port, [encodeHeader(request, secret)]);
    t.deepEqual({ ...answerOf(result.response, request.nonce), ending: result.ending }, { code: 0x01, verified: true, rest: Buffer.alloc(0), ending: 'end' });
  }
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
  const refusedFor = async (destination: Connect['destination']) => {
    const request = connect({ destination });
    const result = await exchange(port, [encodeHeader(request, secret)]);
    return { ...answerOf(result.response, request.nonce), ending: result.ending };
  };
  const refused = { code: 0x02, verified: true, rest: Buffer.alloc(0), ending: 'end' };
  t.deepEqual(await refusedFor({ address: '127.0.0.1', port: echo.port, family: 4 }), refused);
  t.deepEqual(await refusedFor({ address: '::1', port: echo.port, family: 6 }), refused);
  t.deepEqual(await refusedFor({ address: '::ffff:127.0.0.1', port: echo.port, family: 6 }), refused);
  t.deepEqual(await refusedFor({ address: '10.1.2.3', port: 80, family: 4 }), refused);
  t.deepEqual(await refusedFor({ address: '169.254.169.254', port: 80, family: 4 }), refused);
  t.deepEqual(await refusedFor({ address: '224.0.0.1', port: 80, family: 4 }), refused);
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
  for (const destination of [{ address: '198.51.100.7', port: 443, family: 4 }, { address: '2001:db8:0::7', port: 443, family: 6 }] as const) {
    t.is((await exchange(remote.address.port, [connectHeader({ destination })])).response[0], 0x02);
  }
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'policy-own-address' }), 2);
  await remote.relay.stop();
  const allowing = await startRemote({ allowDestinations: ['127.0.0.1/32'] }, own);
  const result = await exchange(allowing.address.port, [Buffer.concat([connectHeader(), Buffer.from('y')])], { halfClose: true });
  t.deepEqual([result.response[0], result.response.subarray(ANSWER_BYTES).toString(), result.ending], [0x00, 'y', 'end']);
  await allowing.relay.stop();
});

test.serial('garbage is dropped with a reset and no answer; a header that never completes times out', async (t) => {
  const remote = await startRemote({ allowDestinations: ['127.0.0.0/8'], unauthenticated: { maxConnections: 100, perSource: 100, headerTimeoutMs: 200 } });
  const before = echo.accepted;
  t.deepEqual(await exchange(remote.address.port, [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]), { response: Buffer.alloc(0), ending: 'ECONNRESET' });
  t.deepEqual(await exchange(remote.address.port, [connectHeader().subarray(0, 30)]), { response: Buffer.alloc(0), ending: 'ECONNRESET' });
  t.is(echo.accepted, before);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'header-version' }), 1);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'header-timeout' }), 1);
  await remote.relay.stop();
});

/** One connection, driven step by step: send, then wait for `length` answer bytes. */
async function stepwise(port: number, localAddress?: string) {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true, ...(localAddress ? { localAddress } : {}) });
  let received = Buffer.alloc(0);
  let ending: string | undefined;
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  socket.on('error', (error: NodeJS.ErrnoException) => (ending = error.code ?? 'error'));
  socket.on('end', () => (ending ??= 'end'));
  socket.on('close', () => (ending ??= 'closed'));
  // A connection the remote resets at once may fail before 'connect' fires: that is its ending.
  await new Promise((resolve) => socket.once('connect', resolve).once('close', resolve));
  return {
    socket,
    async send(bytes: Buffer, length: number): Promise<Buffer> {
      const from = received.length;
      socket.write(bytes);
      await waitFor(() => received.length >= from + length || ending !== undefined, 'an answer');
      return received.subarray(from);
    },
    ending: () => ending,
  };
}

test.serial('a hello is answered with a signed challenge; the connect header must carry it (key rotation: second key id)', async (t) => {
  const second = randomBytes(32);
  const remote = await startRemote({
    allowDestinations: ['127.0.0.0/8'],
    keys: [
      { id: 1, secret: testSecret },
      { id: 2, secret: second.toString('base64') },
    ],
  });
  const conn = await stepwise(remote.address.port);
  const helloNonce = randomBytes(NONCE_BYTES);
  const answer = await conn.send(hello(helloNonce, second, 2), HELLO_ANSWER_BYTES);
  t.is(answer.length, HELLO_ANSWER_BYTES);
  t.true(answerVerifies(answer, second, helloNonce), 'the hello answer is signed with the key of the hello');
  const challenge = answer.subarray(1, 17);
  const request = connect({ keyId: 2 });
  const relayed = await conn.send(Buffer.concat([encodeHeader(request, second, challenge), Buffer.from('x')]), ANSWER_BYTES + 1);
  t.true(answerVerifies(relayed.subarray(0, ANSWER_BYTES), second, request.nonce));
  t.deepEqual([relayed[0], relayed.subarray(ANSWER_BYTES).toString()], [0x00, 'x']);
  conn.socket.destroy();
  await remote.relay.stop();
});

test.serial('a connect header captured on one pooled connection cannot be raced onto another, nor sent unbound', async (t) => {
  const remote = await startRemote({ allowDestinations: ['127.0.0.0/8'] });
  const port = remote.address.port;
  const before = echo.accepted;
  const victim = await stepwise(port);
  const challenge = (await victim.send(hello(), HELLO_ANSWER_BYTES)).subarray(1, 17);
  const captured = encodeHeader(connect(), secret, challenge);
  // The attacker's own pooled connection has another challenge: the captured MAC does not verify there.
  const attacker = await stepwise(port);
  await attacker.send(hello(), HELLO_ANSWER_BYTES);
  t.deepEqual((await attacker.send(captured, ANSWER_BYTES))[0], 0x01);
  // Nor on a fresh connection, where a header carries no challenge.
  t.deepEqual((await exchange(port, [captured])).response[0], 0x01);
  t.is(echo.accepted, before, 'no outbound connection for the raced copies');
  // The original still goes through on its own connection.
  t.deepEqual((await victim.send(captured, ANSWER_BYTES))[0], 0x00);
  await waitFor(() => echo.accepted === before + 1, 'the original to be relayed');
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'header-mac' }), 2);
  victim.socket.destroy();
  attacker.socket.destroy();
  await remote.relay.stop();
});

test.serial('a FIN before the first header closes at once and quietly (a pool the local trims), not at the deadline', async (t) => {
  const remote = await startRemote({ allowDestinations: ['127.0.0.0/8'] });
  const started = Date.now();
  t.deepEqual(await exchange(remote.address.port, [], { halfClose: true }), { response: Buffer.alloc(0), ending: 'end' });
  const nonce = randomBytes(NONCE_BYTES);
  const pooled = await exchange(remote.address.port, [hello(nonce)], { halfClose: true });
  t.deepEqual({ ...answerOf(pooled.response, nonce, HELLO_ANSWER_BYTES), ending: pooled.ending }, { code: 0x00, verified: true, rest: Buffer.alloc(0), ending: 'end' });
  t.true(Date.now() - started < 2_000, `closed after ${Date.now() - started} ms, not at the 3 s header deadline`);
  await waitFor(() => remote.relay.openConnections === 0, 'both to close');
  t.is(await metricValue(remote.metrics, 'mprelay_connections_total', { result: 'closed-before-header' }), 1);
  t.is(await metricValue(remote.metrics, 'mprelay_connections_total', { result: 'pool-closed' }), 1);
  t.deepEqual(rejectionKinds(remote), [], 'nothing logged as a rejection');
  await remote.relay.stop();
});

test.serial('connections without a header have their own budget: per source, and in all, reset at once past it', async (t) => {
  const remote = await startRemote({ allowDestinations: ['127.0.0.0/8'], unauthenticated: { maxConnections: 3, perSource: 2, headerTimeoutMs: 1_000 } });
  const port = remote.address.port;
  const silent = [await stepwise(port, '127.0.0.1'), await stepwise(port, '127.0.0.1')];
  await waitFor(() => remote.relay.openConnections === 2, 'two silent connections held');
  const third = await stepwise(port, '127.0.0.1');
  await waitFor(() => third.ending() !== undefined, 'the third from the same source to be reset');
  t.is(third.ending(), 'ECONNRESET');
  const other = await stepwise(port, '127.0.0.2');
  const overTotal = await stepwise(port, '127.0.0.3');
  await waitFor(() => overTotal.ending() !== undefined, 'a fourth in all to be reset');
  t.is(overTotal.ending(), 'ECONNRESET');
  t.is(other.ending(), undefined, 'another source still had room');
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'unauthenticated-source-limit' }), 1);
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'unauthenticated-total-limit' }), 1);
  // A hello moves its connection out of the budget: room for the next one at once.
  const nonce = randomBytes(NONCE_BYTES);
  t.true(answerOf(await other.send(hello(nonce), HELLO_ANSWER_BYTES), nonce, HELLO_ANSWER_BYTES).verified);
  const next = await stepwise(port, '127.0.0.3');
  await new Promise((r) => setTimeout(r, 100));
  t.is(next.ending(), undefined);
  // The silent ones are dropped at the short first-header deadline.
  await waitFor(() => silent.every((c) => c.ending() !== undefined), 'the silent ones to time out', 3_000);
  for (const c of [...silent, other, next]) c.socket.destroy();
  await remote.relay.stop();
});

test.serial('a peer of an older protocol version gets a version answer and a clear log line', async (t) => {
  const remote = await startRemote({ allowDestinations: ['127.0.0.0/8'] });
  const v1 = Buffer.from(connectHeader());
  v1[0] = 1;
  t.deepEqual(await exchange(remote.address.port, [v1]), { response: Buffer.from([0x07, ...Buffer.alloc(16)]), ending: 'end' });
  t.like(remote.logs.lines.find((line) => line.msg === 'header rejected'), {
    level: 'warn',
    kind: 'version',
    detail: `peer speaks protocol version 1, this remote speaks ${PROTOCOL_VERSION}: upgrade mprelay on both sides`,
  });
  await remote.relay.stop();
});

test.serial('over the connection limit, a new connection is answered overload', async (t) => {
  const remote = await startRemote({ allowDestinations: ['127.0.0.0/8'], maxConnections: 1 });
  const holder = net.connect({ host: '127.0.0.1', port: remote.address.port });
  await waitFor(() => remote.relay.openConnections === 1, 'the first connection');
  t.deepEqual(await exchange(remote.address.port, [connectHeader()]), { response: Buffer.from([0x06, ...Buffer.alloc(16)]), ending: 'end' });
  holder.destroy();
  await remote.relay.stop();
});

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

test.serial('fuzz: random and mutated headers never crash the remote, never connect out, never leak a socket', async (t) => {
  const remote = await startRemote({ allowDestinations: ['127.0.0.0/8'], unauthenticated: { maxConnections: 1000, perSource: 1000, headerTimeoutMs: 300 } });
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
  const closed = await metricValue(remote.metrics, 'mprelay_connections_total', { result: 'closed-before-header' });
  t.is(rejected + closed, samples.length, JSON.stringify((await remote.metrics.registry.getSingleMetric('mprelay_connections_total')?.get())?.values));
  t.log(`${samples.length} fuzz connections, ${rejected} rejected, outbound ${echo.accepted - acceptedBefore}, fds ${fdsBefore} -> ${openFds()}`);
  // Still serving.
  const after = await exchange(port, [Buffer.concat([connectHeader(), Buffer.from('ok')])], { halfClose: true });
  t.deepEqual([after.response[0], after.response.subarray(ANSWER_BYTES).toString(), after.ending], [0x00, 'ok', 'end']);
  await remote.relay.stop();
});
