// Which engine runs which cell: one worker per engine takes the next waiting cell
// whenever it is free, so an engine never runs two cells at once and a fast engine takes
// more of them. A worker whose engine failed (rather than the cell's run) hands its cell
// back to the queue for the others and takes no more. Stops taking new cells once
// `stopping` says so.
export type WorkOutcome = 'done' | 'engine-failed';

export async function runOnWorkers<Item, Worker>(
  items: readonly Item[],
  workers: readonly Worker[],
  run: (item: Item, worker: Worker) => Promise<WorkOutcome>,
  stopping: () => boolean = () => false,
): Promise<void> {
  const queue = [...items];
  await Promise.all(
    workers.map(async (worker) => {
      while (queue.length > 0 && !stopping()) {
        const item = queue.shift()!;
        if ((await run(item, worker)) === 'engine-failed') {
          queue.unshift(item);
          return;
        }
      }
    }),
  );
}
