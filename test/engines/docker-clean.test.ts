// `mplab clean --engines`: on every engine given, the lab's leftover containers go (an
// exited one, and a running one whose owner process is gone); a running one whose owner
// is alive stays, and so does anything without the lab's labels.
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { cleanEngine } from '../../lab/engines/docker-clean.ts';
import type { Engine } from '../../lab/engines/docker-host.ts';
import { ensureLabImage } from '../../lab/engines/lab-image.ts';
import { LABEL } from '../../lab/engines/labels.ts';
import { dockerTest, testEngines } from './helpers/engines.ts';

const test = dockerTest(2);
/** A pid no process has (above the kernel's pid_max default of 4194304). */
const DEAD_PID = 4_999_999;

async function container(engine: Engine, image: string, labels: Record<string, string>, running: boolean): Promise<Docker.Container> {
  const made = await engine.docker.createContainer({ Image: image, Cmd: ['sleep', '600'], Labels: labels, HostConfig: { NetworkMode: 'none' } });
  if (running) await made.start();
  return made;
}

test('clean removes the lab leftovers on each engine, and only those', async (t) => {
  const engines = testEngines(2);
  const made: Docker.Container[] = [];
  t.teardown(async () => {
    for (const c of made) await c.remove({ force: true }).catch(() => undefined);
  });
  const expected: string[][] = [];
  const kept: string[][] = [];
  for (const engine of engines) {
    const { ref } = await ensureLabImage(engine, () => undefined);
    const run = { [LABEL.kind]: 'run' };
    const exited = await container(engine, ref, { ...run, [LABEL.owner]: `${hostname()}:${process.pid}` }, false);
    const orphan = await container(engine, ref, { ...run, [LABEL.owner]: `${hostname()}:${DEAD_PID}` }, true);
    const live = await container(engine, ref, { ...run, [LABEL.owner]: `${hostname()}:${process.pid}` }, true);
    const foreign = await container(engine, ref, {}, true);
    made.push(exited, orphan, live, foreign);
    expected.push([exited.id, orphan.id].map((id) => `container ${id.slice(0, 12)} on ${engine.url}`).sort());
    kept.push([live.id, foreign.id].sort());
  }
  const removed = await Promise.all(engines.map((engine) => cleanEngine(engine)));
  t.deepEqual(removed.map((list) => list.filter((r) => r.startsWith('container ')).sort()), expected);
  for (const [i, engine] of engines.entries()) {
    const left = (await engine.docker.listContainers({ all: true })).map((c) => c.Id);
    t.deepEqual(kept[i]!.filter((id) => left.includes(id)), kept[i]);
  }
});
