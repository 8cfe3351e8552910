// pipeBoth on real loopback sockets: half-close passes through, a reset on one side
// resets the other, and an idle pair is closed.
import test from 'ava';
import net from 'node:net';
import { pipeBoth, type PipeResult } from '../../relay/pipe.ts';
import { UnsentBytes } from '../../relay/unsent.ts';
import { PIPE_OVERSHOOT_BYTES } from './helpers/relays.ts';

/** A connected pair of sockets (client end, server end). */
async function pair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  const serverSide = await accepted;
  server.close();
  return [client, serverSide];
}

/** outer1 <-> [inner1 | pipe | inner2] <-> outer2: what a relay looks like to its two peers. */
async function relayed(options: { idleTimeoutMs?: number; notSentLowatBytes?: number } = {}) {
  const [outerA, innerA] = await pair();
  const [innerB, outerB] = await pair();
  const unsent = new UnsentBytes();
  const done = pipeBoth(innerA, innerB, { idleTimeoutMs: options.idleTimeoutMs ?? 60_000, notSentLowatBytes: options.notSentLowatBytes ?? 32 * 1024, unsent });
  return { outerA, outerB, done, unsent };
}

function readAll(socket: net.Socket): Promise<{ data: string; ending: string }> {
  return new Promise((resolve) => {
    let data = '';
    let ending = 'end';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('error', (error: NodeJS.ErrnoException) => (ending = error.code ?? 'error'));
    socket.on('close', () => resolve({ data, ending }));
  });
}

test('half-close passes through: each side still sends after the other finished', async (t) => {
  const { outerA, outerB, done } = await relayed();
  const atB = readAll(outerB);
  outerA.end('request');
  // B has seen A's FIN (its data then end) before it answers.
  await new Promise((resolve) => outerB.once('end', resolve));
  const atA = readAll(outerA);
  outerB.end('response');
  t.deepEqual(await atB, { data: 'request', ending: 'end' });
  t.deepEqual(await atA, { data: 'response', ending: 'end' });
  t.deepEqual(await done, { aToB: 7, bToA: 8 } satisfies PipeResult);
});

test('a reset on one side resets the other', async (t) => {
  const { outerA, outerB, done } = await relayed();
  const atA = readAll(outerA);
  outerB.write('x');
  await new Promise((resolve) => outerA.once('data', resolve));
  outerB.resetAndDestroy();
  t.like(await atA, { ending: 'ECONNRESET' });
  t.like(await done, { error: 'reset' });
});

test('a reset behind data the pipe holds back ends the pipe at once: the queued bytes are not sent on', async (t) => {
  const { outerA, outerB, done } = await relayed();
  outerB.pause(); // B reads nothing: the pipe's writes to B back up and A's side is paused
  const chunk = Buffer.alloc(64 * 1024, 7);
  // More than every buffer on the way holds: the kernel then queues data the pipe has not read.
  const written = 1024 * chunk.length;
  for (let i = 0; i < 1024; i++) outerA.write(chunk);
  await new Promise((resolve) => setTimeout(resolve, 500));
  outerA.resetAndDestroy();
  const outcome = await Promise.race([done, new Promise<'still piping'>((resolve) => setTimeout(() => resolve('still piping'), 10_000))]);
  t.like(outcome, { error: 'reset' });
  t.true(typeof outcome === 'object' && outcome.aToB < written, `the pipe moved ${typeof outcome === 'object' ? outcome.aToB : '?'} of ${written} bytes`);
  outerB.destroy();
});

test('a side closed by two FINs while the pipe holds its data back is no reset: its last bytes go on', async (t) => {
  const { outerA, outerB, done } = await relayed();
  outerB.pause(); // B reads nothing yet: A's side is paused with its data still queued
  const chunk = Buffer.alloc(64 * 1024, 7);
  // More than B's side holds (its bound and B's receive buffer), less than the pipe's side of A
  // holds: A's FIN then arrives while its last bytes wait unread, and both FINs close that socket.
  const written = 8 * chunk.length;
  for (let i = 0; i < 8; i++) outerA.write(chunk);
  outerA.end(); // A is done sending...
  const atA = readAll(outerA);
  outerB.end('response'); // ...and B answers and finishes: the pipe's side of A is then closed by both FINs
  await new Promise((resolve) => setTimeout(resolve, 500)); // many reset checks while A's bytes wait
  let receivedBytes = 0;
  outerB.on('data', (chunk: Buffer) => (receivedBytes += chunk.length));
  const ending = new Promise<string>((resolve) => {
    outerB.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    outerB.on('end', () => resolve('end'));
  });
  outerB.resume();
  t.deepEqual(await atA, { data: 'response', ending: 'end' });
  t.is(await ending, 'end');
  t.is(receivedBytes, written);
  t.like(await done, { aToB: written, bToA: 8 });
});

test('an idle pair is closed with both peers reset', async (t) => {
  const { outerA, outerB, done } = await relayed({ idleTimeoutMs: 100 });
  const [atA, atB] = await Promise.all([readAll(outerA), readAll(outerB)]);
  t.deepEqual([atA.ending, atB.ending], ['ECONNRESET', 'ECONNRESET']);
  t.deepEqual(await done, { aToB: 0, bToA: 0, error: 'idle-timeout' });
});

/** Floods `outerA` until the pipe stops taking more (nothing moves for 300 ms), then says what the pipe holds unsent. */
async function heldWhileStalled(notSentLowatBytes: number): Promise<{ held: number; written: number }> {
  const { outerA, outerB, done, unsent } = await relayed({ notSentLowatBytes });
  outerB.pause(); // the receiver reads nothing
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  let last = -1;
  while (written !== last) {
    last = written;
    while (written < 64 * 1024 * 1024 && outerA.write(chunk)) written += chunk.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const held = unsent.total();
  outerA.resetAndDestroy();
  outerB.resetAndDestroy();
  await done;
  return { held, written };
}

test("what the pipe holds unsent for a receiver that does not read stays under its bound; unbounded, it is the kernel's send buffer", async (t) => {
  const bounded = await heldWhileStalled(32 * 1024);
  const unbounded = await heldWhileStalled(0);
  t.log(`held unsent: bounded ${bounded.held} B, unbounded ${unbounded.held} B`);
  t.true(bounded.held <= 32 * 1024 + PIPE_OVERSHOOT_BYTES, `bounded: ${bounded.held} B`);
  t.true(unbounded.held > 4 * bounded.held, `unbounded: ${unbounded.held} B against ${bounded.held} B bounded`);
});
