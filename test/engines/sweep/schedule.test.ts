// The scheduler: every item once, never two at once on one worker, a free worker takes
// the next item (a fast worker takes more), nothing new once stopping.
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
  }, () => stop);
  t.deepEqual(started.sort(), [1, 2]);
});
