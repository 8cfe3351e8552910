// The quiet wait on a real emulated link: it returns once nothing arrives and nothing
// is held for 200 ms, and gives up, saying what moved, on a link kept busy.
import test from 'ava';
import { measureGoodput } from '../../lab/links/goodput.ts';
import { busyIn, QUIET_MAX_BYTES, QUIET_MS, waitForQuietLinks } from '../../lab/topology/quiet.ts';
import type { LinkControl, LinkCounters } from '../../lab/topology/types.ts';
import { direction, linkModel, useLinkPair } from '../links/pair.ts';

const reading = (atMs: number, arrivedBytes: number, backlogBytes = 0) => {
  const d = { sentPackets: 0, sentBytes: 0, lossDrops: 0, queueDrops: 0, outageDrops: 0, arrivedBytes, backlogBytes };
  return { atMs, counters: [{ up: d, down: { ...d, arrivedBytes: 0, backlogBytes: 0 } } satisfies LinkCounters] };
};
const link = { name: 'a' } as LinkControl;

test('quiet means at most a few control packets arrived in the window and held', (t) => {
  t.is(busyIn([link], reading(0, 1000), reading(200, 1000 + QUIET_MAX_BYTES)), undefined);
  t.is(busyIn([link], reading(0, 1000), reading(200, 1001 + QUIET_MAX_BYTES)), `link a up: ${QUIET_MAX_BYTES + 1} B arrived in 200 ms, 0 B held`);
  t.is(busyIn([link], reading(0, 1000), reading(200, 1000, QUIET_MAX_BYTES + 1)), `link a up: 0 B arrived in 200 ms, ${QUIET_MAX_BYTES + 1} B held`);
  t.is(busyIn([link], reading(0, 1000), reading(200, 1064, 64)), undefined, 'a link probe in flight is not data');
});

test.serial('after a bulk transfer the wait ends once the link has been quiet for 200 ms; a busy link is reported', async (t) => {
  const model = linkModel({ up: direction({ rateBitsPerSec: 10e6, delayMs: 20, queueBytes: 100_000 }), down: direction({ rateBitsPerSec: 10e6, delayMs: 20 }) });
  const pair = await useLinkPair(t, model);
  await measureGoodput({ ...pair, direction: 'up', seconds: 1 });
  const after = await waitForQuietLinks([pair.control]);
  t.log(`quiet after ${after.waitedMs.toFixed(0)} ms`);
  t.true(after.quiet, after.busy);
  t.true(after.waitedMs >= QUIET_MS, `${after.waitedMs} ms`);
  // A transfer running through the whole wait: not quiet, and it says what moved.
  const busy = measureGoodput({ ...pair, direction: 'up', seconds: 3 });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const during = await waitForQuietLinks([pair.control], 1000);
  await busy;
  t.false(during.quiet);
  t.true(during.waitedMs >= 1000);
  t.regex(during.busy!, /^link a up: \d+ B arrived in \d+ ms, \d+ B held/);
});
