// Which engine runs which cell: one worker per engine takes the next waiting cell
// whenever it is free, so an engine never runs two cells at once and a fast engine takes
// more of them. Stops taking new cells once `stopping` says so.
export async function runOnWorkers<Item, Worker>(
  items: readonly Item[],
  workers: readonly Worker[],
  run: (item: Item, worker: Worker) => Promise<void>,
  stopping: () => boolean = () => false,
): Promise<void> {
  const queue = [...items];
  await Promise.all(
    workers.map(async (worker) => {
      for (let item = queue.shift(); item !== undefined && !stopping(); item = queue.shift()) await run(item, worker);
    }),
  );
}
