// The pool's sizing, on a clock the test drives: the recent rate, the largest recent
// burst (held for the memory, then forgotten), and the config's floor and cap.
import test from 'ava';
import { localConfigSchema } from '../../relay/config.ts';
import { PoolDemand, type PoolSizing } from '../../relay/pool-size.ts';

const sizing: PoolSizing = { min: 2, max: 16, rateWindowMs: 10_000, horizonMs: 2_000, burstWindowMs: 100, burstMemoryMs: 300_000 };

/** `count` takes spread evenly over `spanMs` from `atMs`. */
function takes(demand: PoolDemand, atMs: number, count: number, spanMs = 0): void {
  for (let i = 0; i < count; i++) demand.record(atMs + (count > 1 ? (i * spanMs) / (count - 1) : 0));
}

test('no takes yet: the floor', (t) => {
  const demand = new PoolDemand(sizing);
  t.is(demand.target(0), 2);
  t.is(demand.recentBurst(0), 0);
  t.is(demand.rateDemand(0), 0);
});

test('a page load (6 connections in 50 ms) after an idle minute finds 6: the burst is held, the rate has long decayed', (t) => {
  const demand = new PoolDemand(sizing);
  takes(demand, 1_000, 6, 50);
  t.is(demand.recentBurst(1_050), 6);
  t.is(demand.rateDemand(1_050), 2, 'the mean rate alone asks for 6 per 10 s x 2 s = 2');
  t.is(demand.target(1_050 + 60_000), 6, 'a minute later the pool still holds the burst');
  t.is(demand.rateDemand(1_050 + 60_000), 0);
});

test('a burst is what one window holds: connections one after another (30 ms apart, each a round trip) are no burst of all of them', (t) => {
  const demand = new PoolDemand(sizing);
  takes(demand, 0, 15, 14 * 30);
  t.is(demand.recentBurst(420), 4, 'at most 4 within 100 ms');
  t.is(demand.target(420), 4, 'the rate asks for ceil(15 / 10 s x 2 s) = 3');
});

test('the largest burst within the memory counts; once it is older than the memory, the next largest', (t) => {
  const demand = new PoolDemand(sizing);
  takes(demand, 0, 10, 50);
  takes(demand, 100_000, 4, 50);
  takes(demand, 200_000, 7, 50);
  t.is(demand.target(250_000), 10);
  t.is(demand.target(300_050), 10, 'the burst at 0..50 ms is held for the whole memory');
  t.is(demand.target(300_051), 7, 'then forgotten: the burst at 200 s is the largest left');
  t.is(demand.target(500_051), 2, 'and once every burst is older than the memory, the floor');
});

test('a later burst as large as an earlier one outlasts it', (t) => {
  const demand = new PoolDemand(sizing);
  for (const atMs of [0, 250_000]) takes(demand, atMs, 5, 50);
  t.deepEqual([400_000, 550_050, 550_051].map((nowMs) => demand.target(nowMs)), [5, 5, 2], 'held until the later one is older than the memory');
});

test('the cap bounds a burst and a rate alike', (t) => {
  const demand = new PoolDemand({ ...sizing, max: 8 });
  takes(demand, 0, 40, 90);
  t.is(demand.recentBurst(90), 40);
  t.is(demand.target(90), 8);
  const steady = new PoolDemand({ ...sizing, max: 8 });
  takes(steady, 0, 100, 9_999);
  t.is(steady.recentBurst(9_999), 1, 'takes 101 ms apart: one within any 100 ms');
  t.is(steady.rateDemand(9_999), 20);
  t.is(steady.target(9_999), 8);
});

test('a sustained rate sizes the pool for the horizon', (t) => {
  const demand = new PoolDemand(sizing);
  takes(demand, 0, 50, 9_800); // 5 per second, one every 200 ms
  t.is(demand.recentBurst(9_800), 1);
  t.is(demand.target(9_800), 10, '5/s for 2 s');
});

test('config: burst sizing has defaults, is validated, and a window longer than the memory is refused', (t) => {
  const base = { listen: { address: '127.0.0.1', port: 0 }, remote: { address: '127.0.0.1', port: 1 }, key: { id: 1, secret: Buffer.alloc(32, 1).toString('base64') } };
  const pool = { min: 1, max: 4, idleTimeoutMs: 60_000, rateWindowMs: 10_000, horizonMs: 2_000 };
  t.like(localConfigSchema.parse({ ...base, pool }).pool, { burstWindowMs: 100, burstMemoryMs: 300_000 });
  t.like(localConfigSchema.parse(base).pool, { min: 2, max: 64, burstWindowMs: 100, burstMemoryMs: 300_000 });
  const refused = localConfigSchema.safeParse({ ...base, pool: { ...pool, burstWindowMs: 10_000, burstMemoryMs: 5_000 } });
  t.false(refused.success);
  t.deepEqual(
    refused.error?.issues.map((issue) => ({ path: issue.path, message: issue.message })),
    [{ path: ['pool'], message: 'pool.burstWindowMs must not exceed pool.burstMemoryMs' }],
  );
  const negative = localConfigSchema.safeParse({ ...base, pool: { ...pool, burstWindowMs: -1 } });
  t.deepEqual(negative.error?.issues.map((issue) => issue.path), [['pool', 'burstWindowMs']]);
});
