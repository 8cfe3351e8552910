// The scheduler: every item once, never two at once on one worker, a free worker takes
// the next item (a fast worker takes more), a failed worker's item goes to another and
// that worker takes no more, nothing new once stopping.
import test from 'ava';
import { runOnWorkers } from '../../../lab/engines/sweep/schedule.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('each item once, one at a time per worker, the faster worker taking more', async (t) => {
  const busy = new Set<string>();
  const ran: { item: number; worker: string }[] = [];
  const delayMs: Record<string, number> = { fast: 5, slow: 40 };
  await runOnWorkers([1, 2, 3, 4, 5, 6, 7, 8], ['fast', 'slow'], async (item, worker) => {
    t.false(busy.has(worker), `${worker} given a second item while busy`);
    busy.add(worker);
    await sleep(delayMs[worker]!);
    busy.delete(worker);
    ran.push({ item, worker });
    return 'done';
  });
  t.deepEqual(ran.map((r) => r.item).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
  t.true(ran.filter((r) => r.worker === 'fast').length > ran.filter((r) => r.worker === 'slow').length);
});

test('once stopping, no new item starts; those running finish', async (t) => {
  let stop = false;
  const started: number[] = [];
  await runOnWorkers([1, 2, 3, 4], ['a', 'b'], async (item) => {
    started.push(item);
    await sleep(5);
    stop = true;
    return 'done';
  }, () => stop);
  t.deepEqual(started.sort(), [1, 2]);
});

test('a worker whose engine failed takes no more items; its item goes to another worker', async (t) => {
  const ran: string[] = [];
  await runOnWorkers([1, 2, 3, 4], ['dead', 'alive'], async (item, worker) => {
    await sleep(worker === 'dead' ? 1 : 5);
    if (worker === 'dead') return 'engine-failed';
    ran.push(`${item} ${worker}`);
    return 'done';
  });
  t.deepEqual(ran.sort(), ['1 alive', '2 alive', '3 alive', '4 alive']);
});

test('when every worker failed, the items are left (for a resume), not run', async (t) => {
  let calls = 0;
  await runOnWorkers([1, 2, 3], ['a', 'b'], async () => {
    calls++;
    return 'engine-failed';
  });
  t.is(calls, 2);
});
