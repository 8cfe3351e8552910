// HeldRequest on real loopback sockets: the client's bytes go on at once behind the
// header, are kept for a second connection, stop at the limit, and are let go to a pipe.
import test from 'ava';
import net from 'node:net';
import { HeldRequest } from '../../relay/held-request.ts';

/** A connected loopback pair: `outer` is the peer, `inner` the socket the relay holds. */
async function pair(): Promise<{ outer: net.Socket; inner: net.Socket; close: () => void }> {
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const outer = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const inner = await accepted;
  server.close();
  return { outer, inner, close: () => [outer, inner].forEach((s) => s.destroy()) };
}

/** Everything that arrives on `socket` until `bytes` have. */
function receive(socket: net.Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= bytes) resolve(Buffer.concat(chunks));
    });
  });
}

const until = (condition: () => boolean) =>
  new Promise<void>((resolve) => {
    const check = () => (condition() ? resolve() : setTimeout(check, 5));
    check();
  });

test('the header and the bytes so far go in one write; later bytes follow on the same connection', async (t) => {
  const client = await pair();
  const upstream = await pair();
  t.teardown(() => [client, upstream].forEach((p) => p.close()));
  const held = new HeldRequest(client.inner, 1 << 20);
  client.outer.write('GET / ');
  await until(() => held.bytes === 6);
  const arriving = receive(upstream.outer, 6 + 6 + 9);
  held.sendTo(upstream.inner, Buffer.from('HEADER'));
  client.outer.write('HTTP/1.1');
  client.outer.write('\n');
  t.is((await arriving).toString(), 'HEADERGET / HTTP/1.1\n');
  t.is(held.bytes, 15);
});

test('a second connection gets a new header and everything the client sent, from the start', async (t) => {
  const client = await pair();
  const dead = await pair();
  const next = await pair();
  t.teardown(() => [client, dead, next].forEach((p) => p.close()));
  const held = new HeldRequest(client.inner, 1 << 20);
  held.sendTo(dead.inner, Buffer.from('H1'));
  client.outer.write('request');
  await until(() => held.bytes === 7);
  const arriving = receive(next.outer, 2 + 7 + 4);
  held.sendTo(next.inner, Buffer.from('H2'));
  client.outer.write('more');
  t.is((await arriving).toString(), 'H2requestmore');
});

test('past the limit the client is paused; release leaves it paused, with its bytes for whoever reads next', async (t) => {
  const client = await pair();
  t.teardown(() => client.close());
  const held = new HeldRequest(client.inner, 1000);
  client.outer.write(Buffer.alloc(1000, 1));
  await until(() => held.bytes === 1000);
  t.true(client.inner.isPaused());
  client.outer.write(Buffer.alloc(500, 2));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(held.bytes, 1000, 'nothing read past the limit');
  held.release();
  t.true(client.inner.isPaused());
  t.is(client.inner.listenerCount('data'), 0);
  const rest = receive(client.inner, 500);
  client.inner.resume();
  t.deepEqual(await rest, Buffer.alloc(500, 2));
});

test('firstBytes resolves on the first bytes, on the end, or after the wait', async (t) => {
  const speaks = await pair();
  const ends = await pair();
  const silent = await pair();
  t.teardown(() => [speaks, ends, silent].forEach((p) => p.close()));
  const timed = async (held: HeldRequest, act: () => void) => {
    const startedMs = performance.now();
    const waited = held.firstBytes(10_000);
    act();
    await waited;
    return performance.now() - startedMs;
  };
  const speaking = new HeldRequest(speaks.inner, 1 << 20);
  t.true((await timed(speaking, () => speaks.outer.write('x'))) < 5_000);
  t.is(speaking.bytes, 1);
  t.true((await timed(new HeldRequest(ends.inner, 1 << 20), () => ends.outer.end())) < 5_000);
  const startedMs = performance.now();
  await new HeldRequest(silent.inner, 1 << 20).firstBytes(50);
  t.true(performance.now() - startedMs >= 45);
});
