// The warm pool against a real remote in a private namespace (MPTCP on loopback, two
// "links": 127.0.0.1 and 127.0.0.2), asserted on its counters and sockets, not timings:
// a burst after the rate has decayed is all hits (and is not without burst memory),
// takes pick the link by round trip and connections in use, refills replace on the
// taken link, and connections idle too long are replaced before they are closed.
import test from 'ava';
import type net from 'node:net';
import { localConfigSchema, type LocalConfigInput } from '../../relay/config.ts';
import { keepaliveReporter } from '../../relay/keepalive.ts';
import type { MonitoredLink } from '../../relay/link-monitor.ts';
import { createLogger } from '../../relay/log.ts';
import { RelayMetrics } from '../../relay/metrics.ts';
import { UpstreamPool, type PooledUpstream, type UpLink } from '../../relay/pool.ts';
import { openUpstream } from '../../relay/upstream.ts';
import { enterNewNamespace, type TestNamespace } from './helpers/netns.ts';
import { MemoryLog, metricValue, startRemote, testSecret, waitFor } from './helpers/relays.ts';

const A: MonitoredLink = { name: 'a', address: '127.0.0.1' };
const B: MonitoredLink = { name: 'b', address: '127.0.0.2' };

let ns: TestNamespace;
let remote: Awaited<ReturnType<typeof startRemote>>;

test.before(async () => {
  ns = await enterNewNamespace('pool');
  remote = await startRemote();
});

test.after.always(async () => {
  await remote?.relay.stop();
  await ns?.destroy();
});

type PoolInput = Partial<NonNullable<LocalConfigInput['pool']>>;

/** A pool to the test's remote; `links` says which links are up, fastest first (none: routing chooses). */
function poolWith(t: import('ava').ExecutionContext, pool: PoolInput, links?: () => readonly UpLink[]) {
  const config = localConfigSchema.parse({
    listen: { address: '127.0.0.1', port: 0 },
    remote: { address: '127.0.0.1', port: remote.address.port },
    key: { id: 1, secret: testSecret },
    pool: { min: 2, max: 16, idleTimeoutMs: 60_000, rateWindowMs: 10_000, horizonMs: 2_000, ...pool },
  });
  const metrics = new RelayMetrics('local', false);
  const log = createLogger({ level: 'debug', sink: new MemoryLog() });
  const keepaliveRefused = keepaliveReporter(metrics, log);
  const target = { address: config.remote.address, port: config.remote.port, fastOpen: false, keepalive: config.keepalive };
  const instance = new UpstreamPool({
    target,
    ...(links
      ? { links, open: async (link: MonitoredLink | undefined) => ({ socket: openUpstream(target, keepaliveRefused, link ? { sourceAddress: link.address } : {}), link }) }
      : {}),
    key: config.key,
    pool: config.pool,
    connectTimeoutMs: config.connectTimeoutMs,
    metrics,
    log,
    keepaliveRefused,
  });
  instance.start();
  t.teardown(() => instance.stop());
  return { pool: instance, metrics };
}

/** Takes `count` at once, as a page load's connections arrive; what was taken is closed. */
function burst(pool: UpstreamPool, count: number): Array<PooledUpstream | undefined> {
  const taken = Array.from({ length: count }, () => pool.take());
  for (const entry of taken) entry?.socket.destroy();
  return taken;
}

const counts = async (metrics: RelayMetrics) => ({ hits: await metricValue(metrics, 'mprelay_pool_hits_total'), misses: await metricValue(metrics, 'mprelay_pool_misses_total') });

// The rate window is short here (1 s), so that "after the rate has decayed" is 1.5 s, not a minute.
const BURSTY = { min: 2, rateWindowMs: 1_000, horizonMs: 1_000, burstWindowMs: 1_000, burstMemoryMs: 300_000 };

test.serial('a burst of 6 after the rate has decayed is all hits: the pool holds the last burst, not the mean rate', async (t) => {
  const { pool, metrics } = poolWith(t, BURSTY);
  await waitFor(() => pool.idleCount >= 2, 'the floor warm');
  const first = burst(pool, 6);
  t.is(first.filter(Boolean).length, 2, 'the first burst finds the floor');
  t.is(pool.target(), 6);
  await waitFor(() => pool.idleCount >= 6, 'the pool refilled to the burst');
  await new Promise((r) => setTimeout(r, 1_500)); // the rate window is past: the rate alone asks for the floor
  t.is(pool.target(), 6, 'still the burst');
  t.is(pool.idleCount, 6);
  const before = await counts(metrics);
  t.true(burst(pool, 6).every(Boolean));
  t.deepEqual(await counts(metrics), { hits: before.hits + 6, misses: before.misses });
});

test.serial('without burst memory (window and memory 1 ms) the same burst misses: the comparison the sizing exists for', async (t) => {
  const { pool, metrics } = poolWith(t, { ...BURSTY, burstWindowMs: 1, burstMemoryMs: 1 });
  await waitFor(() => pool.idleCount >= 2, 'the floor warm');
  burst(pool, 6);
  await new Promise((r) => setTimeout(r, 1_500));
  await waitFor(() => pool.idleCount === 2, 'the pool back at the floor');
  const before = await counts(metrics);
  t.is(burst(pool, 6).filter(Boolean).length, 2);
  t.deepEqual(await counts(metrics), { hits: before.hits + 2, misses: before.misses + 4 });
});

test.serial('one connection alone rides the fastest link, a burst spreads by round trip x connections in use; refills replace on the taken link', async (t) => {
  let up: UpLink[] = [
    { link: A, srttMs: 25 },
    { link: B, srttMs: 10 },
  ];
  // A 1 ms burst window: loopback refills in a few ms, so the takes below would be one burst of 7.
  const { pool } = poolWith(t, { min: 4, burstWindowMs: 1 }, () => up);
  await waitFor(() => pool.idleCount >= 4, 'the pool warm');
  t.deepEqual(pool.idleByLink(), { a: 2, b: 2 }, 'filled on the link holding fewest: each holds some');
  const source = (entry: PooledUpstream | undefined) => (entry?.socket as net.Socket | undefined)?.localAddress;
  const first = pool.take();
  t.is(source(first), B.address, 'alone: the fastest link');
  first?.socket.destroy();
  await waitFor(() => pool.idleCount >= 4, 'the pool refilled');
  t.deepEqual(pool.idleByLink(), { a: 2, b: 2 }, 'replaced on b, the taken one\'s link');
  // Held open, as a page load's connections are: b costs 10, 20, 30 with 0, 1, 2 in use; a costs 25.
  const page = [pool.take(), pool.take(), pool.take()];
  t.deepEqual(page.map(source), [B.address, B.address, A.address]);
  for (const entry of page) entry?.socket.destroy();
  await waitFor(() => pool.idleCount >= 4, 'the pool refilled');
  t.deepEqual(pool.idleByLink(), { a: 2, b: 2 });
  up = [{ link: A, srttMs: 25 }]; // b is down
  const onlyA = [pool.take(), pool.take(), pool.take()];
  t.deepEqual(onlyA.map(source), [A.address, A.address, B.address], 'a, the only link up, first; then what is left');
  for (const entry of onlyA) entry?.socket.destroy();
  await waitFor(() => pool.idleCount >= 4, 'the pool refilled');
  t.deepEqual(pool.idleByLink(), { a: 3, b: 1 }, 'refills only on a link that is up');
});

test.serial('a take that avoids a link (a request there just died) takes from another, even a slower one, or misses', async (t) => {
  const up: UpLink[] = [
    { link: A, srttMs: 25 },
    { link: B, srttMs: 10 },
  ];
  const { pool } = poolWith(t, { min: 2, burstWindowMs: 1 }, () => up);
  await waitFor(() => pool.idleCount >= 2, 'the pool warm');
  t.deepEqual(pool.idleByLink(), { a: 1, b: 1 });
  const source = (entry: PooledUpstream | undefined) => (entry?.socket as net.Socket | undefined)?.localAddress;
  const other = pool.take('b');
  t.is(source(other), A.address, 'not b, although b is faster');
  t.is(other?.link, 'a');
  const stillB = pool.idleByLink();
  t.deepEqual(stillB, { b: 1 }, 'what was on b stays');
  t.is(pool.take('b'), undefined, 'only b left: a miss, not the avoided link');
  t.is(pool.take()?.link, 'b');
  other?.socket.destroy();
});

test.serial('connections idle too long are replaced before they are closed: the pool never drops below its floor', async (t) => {
  const { pool, metrics } = poolWith(t, { min: 3, idleTimeoutMs: 300 });
  await waitFor(() => pool.idleCount >= 3, 'the pool warm');
  const openedBefore = await metricValue(metrics, 'mprelay_upstream_opened_total', { by: 'pool' });
  let lowest = pool.idleCount;
  const deadline = Date.now() + 2_500;
  while (Date.now() < deadline) {
    lowest = Math.min(lowest, pool.idleCount);
    await new Promise((r) => setTimeout(r, 5));
  }
  const replaced = (await metricValue(metrics, 'mprelay_upstream_opened_total', { by: 'pool' })) - openedBefore;
  t.true(replaced >= 3, `${replaced} replacements in 2.5 s with a 300 ms idle timeout`);
  t.is(lowest, 3, 'never fewer than the floor idle');
  t.is(pool.idleCount, 3, 'the replaced ones are closed');
});
