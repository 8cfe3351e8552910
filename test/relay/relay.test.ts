// End to end inside a private namespace: client -> nftables REDIRECT -> local -> MPTCP
// -> remote -> TCP -> echo server, with the real original-destination lookup.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { startEchoServer, echoThrough, type EchoServer } from './helpers/echo.ts';
import { enterNewNamespace, type TestNamespace } from './helpers/netns.ts';
import { metricValue, PIPE_OVERSHOOT_BYTES, startLocal, startRemote, waitFor } from './helpers/relays.ts';

const CLIENT_V4 = '10.201.0.1';
const CLIENT_V6 = '2001:db8::1';
const SERVER_V4 = '203.0.113.9';
const SERVER_V6 = '2001:db8::9';

let ns: TestNamespace;
let echo4: EchoServer;
let echo6: EchoServer;
let remote: Awaited<ReturnType<typeof startRemote>>;
let local: Awaited<ReturnType<typeof startLocal>>;

test.before(async () => {
  ns = await enterNewNamespace('relay');
  await ns.run('sysctl', ['-qw', 'net.ipv4.tcp_fastopen=3']);
  for (const [addr, prefix] of [[CLIENT_V4, 32], [SERVER_V4, 32], [CLIENT_V6, 128], [SERVER_V6, 128]] as const) {
    await ns.run('ip', ['addr', 'add', `${addr}/${prefix}`, 'dev', 'lo', ...(prefix === 128 ? ['nodad'] : [])]);
  }
  echo4 = await startEchoServer(SERVER_V4, 80);
  echo6 = await startEchoServer(SERVER_V6, 80);
  remote = await startRemote({ allowDestinations: [`${SERVER_V4}/32`, `${SERVER_V6}/128`], fastOpenQueue: 64 });
  local = await startLocal(remote.address.port, { pool: { min: 2, max: 8, idleTimeoutMs: 60_000, rateWindowMs: 10_000, horizonMs: 2_000 } });
  // What `mprelay rules` does for a LAN, here for locally generated traffic from the client addresses.
  const port = local.address.port;
  await ns.run('/usr/sbin/nft', [
    [
      'table inet mpl_test {',
      '  chain out {',
      '    type nat hook output priority -100; policy accept;',
      `    ip saddr ${CLIENT_V4} meta l4proto tcp redirect to :${port}`,
      `    ip6 saddr ${CLIENT_V6} meta l4proto tcp redirect to :${port}`,
      '  }',
      '}',
    ].join('\n'),
  ]);
});

test.after.always(async () => {
  await local?.relay.stop();
  await remote?.relay.stop();
  await echo4?.close();
  await echo6?.close();
  await ns?.destroy();
});

test.serial('IPv4: bytes arrive intact both ways with half-close, over a warm pooled connection', async (t) => {
  await waitFor(() => local.relay.pool.idleCount >= 2, 'the pool to warm up');
  const hitsBefore = await metricValue(local.metrics, 'mprelay_pool_hits_total');
  const result = await echoThrough({ host: SERVER_V4, port: 80, localAddress: CLIENT_V4 }, 1 << 20);
  t.is(result.bytes, 1 << 20);
  t.is(result.echoedSha256, result.sentSha256);
  t.is(echo4.received.at(-1), result.sentSha256);
  t.is(await metricValue(local.metrics, 'mprelay_pool_hits_total'), hitsBefore + 1);
});

test.serial('IPv6: the original destination is read with IP6T_SO_ORIGINAL_DST and relayed', async (t) => {
  const result = await echoThrough({ host: SERVER_V6, port: 80, localAddress: CLIENT_V6 }, 100_000);
  t.is(result.echoedSha256, result.sentSha256);
  t.is(echo6.received.at(-1), result.sentSha256);
});

test.serial('a pool miss opens a fresh connection, with Fast Open when configured (works on loopback)', async (t) => {
  const fresh = await startLocal(remote.address.port, { fastOpen: true, pool: { min: 0, max: 0, idleTimeoutMs: 60_000, rateWindowMs: 10_000, horizonMs: 2_000 } });
  const fastOpenActive = async () => Number(/TcpExtTCPFastOpenActive\s+(\d+)/.exec(await ns.run('nstat', ['-az', 'TcpExtTCPFastOpenActive']))?.[1]);
  const tfoBefore = await fastOpenActive();
  await ns.run('/usr/sbin/nft', ['insert', 'rule', 'inet', 'mpl_test', 'out', 'ip', 'saddr', CLIENT_V4, 'tcp', 'dport', '8080', 'redirect', 'to', `:${fresh.address.port}`]);
  try {
    await startEchoServer(SERVER_V4, 8080).then(async (server) => {
      for (let i = 0; i < 3; i++) {
        const result = await echoThrough({ host: SERVER_V4, port: 8080, localAddress: CLIENT_V4 }, 5000);
        t.is(result.echoedSha256, result.sentSha256);
      }
      await server.close();
    });
    t.is(await metricValue(fresh.metrics, 'mprelay_pool_misses_total'), 3);
    t.is(await metricValue(fresh.metrics, 'mprelay_pool_hits_total'), 0);
    // The first connection fetches the cookie; the later ones carry header and bytes in the SYN.
    t.is((await fastOpenActive()) - tfoBefore, 2);
  } finally {
    await fresh.relay.stop();
  }
});

test.serial('a client headed for port 0 is reset and counted; the local keeps relaying (it used to crash)', async (t) => {
  const error = await t.throwsAsync(echoThrough({ host: SERVER_V4, port: 0, localAddress: CLIENT_V4 }, 10));
  t.is((error as NodeJS.ErrnoException).code, 'ECONNRESET');
  await waitFor(async () => (await metricValue(local.metrics, 'mprelay_errors_total', { kind: 'bad-destination' })) === 1, 'the bad destination to be counted');
  t.is(await metricValue(local.metrics, 'mprelay_connections_total', { result: 'bad-destination' }), 1);
  t.like(local.logs.lines.find((line) => line.msg === 'client destination cannot be relayed'), { level: 'warn', port: 0 });
  const after = await echoThrough({ host: SERVER_V4, port: 80, localAddress: CLIENT_V4 }, 1000);
  t.is(after.echoedSha256, after.sentSha256);
});

test.serial('a refused destination resets the client, as a direct connection would', async (t) => {
  const error = await t.throwsAsync(echoThrough({ host: SERVER_V4, port: 81, localAddress: CLIENT_V4 }, 10));
  t.is((error as NodeJS.ErrnoException).code, 'ECONNRESET');
  await waitFor(async () => (await metricValue(local.metrics, 'mprelay_connections_total', { result: 'refused' })) === 1, 'the refusal to be counted');
  t.is(await metricValue(remote.metrics, 'mprelay_errors_total', { kind: 'connect-refused' }), 1);
});

test.serial('with the remote down, the pool backs off and a client connection is reset, not hung', async (t) => {
  const dead = await startRemote();
  const deadPort = dead.address.port;
  await dead.relay.stop(); // nothing listens there any more
  const orphan = await startLocal(deadPort, { pool: { min: 2, max: 2, idleTimeoutMs: 60_000, rateWindowMs: 10_000, horizonMs: 2_000 } });
  await ns.run('/usr/sbin/nft', ['insert', 'rule', 'inet', 'mpl_test', 'out', 'ip', 'saddr', CLIENT_V4, 'tcp', 'dport', '8082', 'redirect', 'to', `:${orphan.address.port}`]);
  try {
    await waitFor(async () => (await metricValue(orphan.metrics, 'mprelay_errors_total', { kind: 'pool-open' })) >= 2, 'pool attempts to fail');
    const error = await t.throwsAsync(echoThrough({ host: SERVER_V4, port: 8082, localAddress: CLIENT_V4 }, 10));
    t.is((error as NodeJS.ErrnoException).code, 'ECONNRESET');
    await waitFor(async () => (await metricValue(orphan.metrics, 'mprelay_connections_total', { result: 'no-answer-unreachable' })) === 1, 'the failure to be counted');
    t.like(orphan.logs.lines.find((line) => line.msg === 'pool connection failed'), { level: 'warn', failedRounds: 1, error: { message: 'hello not accepted: no-answer-unreachable' } });
  } finally {
    await orphan.relay.stop();
  }
});

test.serial('a failed refill round backs off once, briefly and with jitter, not once per connection of the round', async (t) => {
  const dead = await startRemote();
  const deadPort = dead.address.port;
  await dead.relay.stop();
  const orphan = await startLocal(deadPort, { pool: { min: 8, max: 8, idleTimeoutMs: 60_000, rateWindowMs: 10_000, horizonMs: 2_000 } });
  try {
    // Eight at once fail together: one round. The next round follows within the first backoff (<= 200 ms) and the 1 s tick.
    await waitFor(async () => (await metricValue(orphan.metrics, 'mprelay_errors_total', { kind: 'pool-open' })) >= 16, 'a second round of refills', 3_000);
    const warned = orphan.logs.lines.filter((line) => line.msg === 'pool connection failed');
    t.like(warned[0], { failedRounds: 1 });
    t.true((warned[0]?.retryInMs as number) >= 100 && (warned[0]?.retryInMs as number) <= 200, `first backoff ${String(warned[0]?.retryInMs)} ms`);
  } finally {
    await orphan.relay.stop();
  }
});

test.serial('byte counters count the payload only, not the hello, the header or the answer', async (t) => {
  await waitFor(() => local.relay.pool.idleCount >= 1, 'a warm pooled connection');
  const count = async () => ({
    localUp: await metricValue(local.metrics, 'mprelay_bytes_total', { direction: 'upstream' }),
    localDown: await metricValue(local.metrics, 'mprelay_bytes_total', { direction: 'downstream' }),
    remoteUp: await metricValue(remote.metrics, 'mprelay_bytes_total', { direction: 'upstream' }),
    remoteDown: await metricValue(remote.metrics, 'mprelay_bytes_total', { direction: 'downstream' }),
  });
  const before = await count();
  await echoThrough({ host: SERVER_V4, port: 80, localAddress: CLIENT_V4 }, 1000);
  await waitFor(async () => (await count()).remoteDown > before.remoteDown && (await count()).localDown > before.localDown, 'both sides to count the connection');
  const after = await count();
  t.deepEqual(
    { localUp: after.localUp - before.localUp, localDown: after.localDown - before.localDown, remoteUp: after.remoteUp - before.remoteUp, remoteDown: after.remoteDown - before.remoteDown },
    { localUp: 1000, localDown: 1000, remoteUp: 1000, remoteDown: 1000 },
  );
});

test.serial("a destination that never answers is reported as the remote's timeout: the local waits longer than the remote connects", async (t) => {
  const slow = await startRemote({ allowDestinations: [`${SERVER_V4}/32`], connectTimeoutMs: 300 });
  const client = await startLocal(slow.address.port, { connectTimeoutMs: 300, pool: { min: 1, max: 1, idleTimeoutMs: 60_000, rateWindowMs: 10_000, horizonMs: 2_000 } });
  await ns.run('/usr/sbin/nft', ['add', 'table', 'ip', 'mpl_blackhole']);
  await ns.run('/usr/sbin/nft', ['add', 'chain', 'ip', 'mpl_blackhole', 'out', '{ type filter hook output priority 0; policy accept; }']);
  await ns.run('/usr/sbin/nft', ['add', 'rule', 'ip', 'mpl_blackhole', 'out', 'ip', 'daddr', SERVER_V4, 'tcp', 'dport', '83', 'drop']);
  await ns.run('/usr/sbin/nft', ['insert', 'rule', 'inet', 'mpl_test', 'out', 'ip', 'saddr', CLIENT_V4, 'tcp', 'dport', '83', 'redirect', 'to', `:${client.address.port}`]);
  try {
    await waitFor(() => client.relay.pool.idleCount >= 1, 'the pool to warm up');
    const error = await t.throwsAsync(echoThrough({ host: SERVER_V4, port: 83, localAddress: CLIENT_V4 }, 10));
    t.is((error as NodeJS.ErrnoException).code, 'ECONNRESET');
    await waitFor(async () => (await metricValue(client.metrics, 'mprelay_connections_total', { result: 'timeout' })) === 1, 'the timeout to be counted');
    // The remote acknowledged the header (it was connecting all along): no replay, so the destination is not asked twice.
    t.is(await metricValue(client.metrics, 'mprelay_request_replays_total'), 0);
  } finally {
    await ns.run('/usr/sbin/nft', ['delete', 'table', 'ip', 'mpl_blackhole']);
    await client.relay.stop();
    await slow.relay.stop();
  }
});

test.serial("a pooled connection that died under the pool is not the client's problem: no answer and nothing acknowledged within 300 ms, the request goes again on another connection", async (t) => {
  await waitFor(() => local.relay.pool.idleCount >= 2, 'the pool to warm up');
  // Every connection the pool holds now goes dead, as over a link that died: what it sends to the remote is dropped.
  const stdout = await ns.run('ss', ['-Htn', 'state', 'established', `( dport = :${remote.address.port} )`]);
  const ports = stdout.split('\n').filter(Boolean).map((line) => line.trim().split(/\s+/)[2]?.split(':').at(-1));
  t.true(ports.length >= 2, `the pool's connections in ss: ${stdout}`);
  await ns.run('/usr/sbin/nft', ['add', 'table', 'ip', 'mpl_dead']);
  await ns.run('/usr/sbin/nft', ['add', 'chain', 'ip', 'mpl_dead', 'out', '{ type filter hook output priority 0; policy accept; }']);
  await ns.run('/usr/sbin/nft', ['add', 'rule', 'ip', 'mpl_dead', 'out', 'tcp', 'dport', String(remote.address.port), 'tcp', 'sport', `{ ${ports.join(', ')} }`, 'drop']);
  try {
    const replaysBefore = await metricValue(local.metrics, 'mprelay_request_replays_total', { link: 'route' });
    const startedMs = performance.now();
    const result = await echoThrough({ host: SERVER_V4, port: 80, localAddress: CLIENT_V4 }, 100_000);
    const tookMs = performance.now() - startedMs;
    t.is(result.echoedSha256, result.sentSha256);
    t.is(echo4.received.at(-1), result.sentSha256);
    const replays = (await metricValue(local.metrics, 'mprelay_request_replays_total', { link: 'route' })) - replaysBefore;
    t.true(replays >= 1 && replays <= 2, `replays: ${replays}`);
    t.like(local.logs.lines.find((line) => String(line.msg).startsWith('pooled connection gave no answer')), { level: 'info', replay: 1 });
    t.log(`${replays} replay(s); the echo took ${tookMs.toFixed(0)} ms`);
  } finally {
    await ns.run('/usr/sbin/nft', ['delete', 'table', 'ip', 'mpl_dead']);
  }
});

/** A destination that reads 16 KiB every 20 ms (800 KB/s), as a slow receiver behind the remote. */
async function startSlowReader(port: number) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.pause();
    const timer = setInterval(() => socket.read(16 * 1024), 20);
    socket.on('error', () => {});
    socket.once('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, SERVER_V4, resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The most each relay held unsent (mprelay_unsent_bytes) over 2 s of a client uploading as fast as it may to a slow reader. */
async function heldForSlowReader(relays: { local: typeof local; remote: typeof remote }, port: number) {
  await waitFor(() => relays.local.relay.pool.idleCount >= 1, 'the pool to warm up');
  const client = net.connect({ host: SERVER_V4, port, localAddress: CLIENT_V4 });
  client.on('error', () => {});
  const chunk = Buffer.alloc(64 * 1024);
  const fill = () => {
    while (client.write(chunk));
  };
  client.on('connect', fill);
  client.on('drain', fill);
  const most = { local: 0, remote: 0 };
  for (let i = 0; i < 40; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    most.local = Math.max(most.local, await metricValue(relays.local.metrics, 'mprelay_unsent_bytes'));
    most.remote = Math.max(most.remote, await metricValue(relays.remote.metrics, 'mprelay_unsent_bytes'));
  }
  client.resetAndDestroy();
  await waitFor(async () => (await metricValue(relays.local.metrics, 'mprelay_unsent_bytes')) === 0, 'the local to let go of the connection');
  return most;
}

test.serial("a slow receiver: each relay holds at most its bound unsent (the kernel's send buffer would hold MBs), so the backlog stays with the client", async (t) => {
  const reader = await startSlowReader(8081);
  // The same relays without the bound, on their own port, for the comparison.
  const unboundedRemote = await startRemote({ allowDestinations: [`${SERVER_V4}/32`], notSentLowatBytes: 0 });
  const unboundedLocal = await startLocal(unboundedRemote.address.port, { notSentLowatBytes: 0, pool: { min: 1, max: 2, idleTimeoutMs: 60_000, rateWindowMs: 10_000, horizonMs: 2_000 } });
  await ns.run('/usr/sbin/nft', ['insert', 'rule', 'inet', 'mpl_test', 'out', 'ip', 'saddr', CLIENT_V4, 'tcp', 'dport', '8082', 'redirect', 'to', `:${unboundedLocal.address.port}`]);
  const unboundedReader = await startSlowReader(8082);
  try {
    const bounded = await heldForSlowReader({ local, remote }, 8081);
    const unbounded = await heldForSlowReader({ local: unboundedLocal, remote: unboundedRemote }, 8082);
    t.log(`most held unsent: bounded local ${bounded.local} B, remote ${bounded.remote} B; unbounded local ${unbounded.local} B, remote ${unbounded.remote} B`);
    const bound = local.config.notSentLowatBytes + PIPE_OVERSHOOT_BYTES;
    t.true(bounded.local <= bound && bounded.remote <= bound, `bounded: ${JSON.stringify(bounded)}, bound ${bound} B each`);
    t.true(unbounded.local + unbounded.remote > 4 * (bounded.local + bounded.remote), `unbounded: ${JSON.stringify(unbounded)}`);
  } finally {
    await unboundedLocal.relay.stop();
    await unboundedRemote.relay.stop();
    await reader.close();
    await unboundedReader.close();
  }
});

/** A TCP server that plays a remote badly: `onData` decides what each connection gets. */
async function fakeRemote(onData: (socket: net.Socket, chunk: Buffer) => void) {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => onData(socket, chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

test.serial('an ok answer that does not verify never lets its bytes reach the client: the client is reset', async (t) => {
  // Whoever answers on the path: an ok byte, a made-up MAC, then bytes for the client.
  const impostor = await fakeRemote((socket) => socket.write(Buffer.concat([Buffer.from([0x00]), randomBytes(16), Buffer.from('EVIL')])));
  const fooled = await startLocal(impostor.port, { pool: { min: 0, max: 0, idleTimeoutMs: 60_000, rateWindowMs: 10_000, horizonMs: 2_000 } });
  await ns.run('/usr/sbin/nft', ['insert', 'rule', 'inet', 'mpl_test', 'out', 'ip', 'saddr', CLIENT_V4, 'tcp', 'dport', '8084', 'redirect', 'to', `:${fooled.address.port}`]);
  try {
    const received: Buffer[] = [];
    const ending = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: SERVER_V4, port: 8084, localAddress: CLIENT_V4 });
      socket.on('connect', () => socket.write('request'));
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      socket.on('end', () => resolve('end'));
    });
    t.is(ending, 'ECONNRESET');
    t.deepEqual(Buffer.concat(received), Buffer.alloc(0));
    t.is(await metricValue(fooled.metrics, 'mprelay_errors_total', { kind: 'remote-answer-mac' }), 1);
    t.like(fooled.logs.lines.find((line) => String(line.msg).startsWith('answer from the remote does not verify')), { level: 'warn' });
  } finally {
    await fooled.relay.stop();
    await impostor.close();
  }
});

test.serial('a remote of an older protocol version (it resets a version-2 hello) is named in the log', async (t) => {
  // What mprelay remote 1 did with a header whose first byte is not 1: reset, no answer.
  const old = await fakeRemote((socket, chunk) => chunk[0] !== 1 && socket.resetAndDestroy());
  const newer = await startLocal(old.port, { pool: { min: 1, max: 1, idleTimeoutMs: 60_000, rateWindowMs: 10_000, horizonMs: 2_000 } });
  try {
    await waitFor(() => newer.logs.lines.some((line) => line.msg === 'pool connection failed'), 'the hello to fail');
    t.like(newer.logs.lines.find((line) => line.msg === 'pool connection failed'), {
      level: 'warn',
      error: {
        message: 'the remote reset the hello without an answer: it does not speak protocol version 2 (an older mprelay remote?), or it is over its limit for unauthenticated connections',
      },
    });
  } finally {
    await newer.relay.stop();
    await old.close();
  }
});
