// `mplab clean` on a Docker engine: the lab's containers that no live process of this
// machine owns (exited ones, and running ones whose mplab process is gone), and lab
// images no container uses other than the newest (the current image cache). Only what
// carries the lab's labels is touched.
import { hostname } from 'node:os';
import type { Engine } from './docker-host.ts';
import { kindFilter, LABEL } from './labels.ts';

function ownerAlive(owner: string | undefined): boolean {
  const [host, pid] = (owner ?? '').split(':');
  if (host !== hostname() || !pid) return false;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
}

/** What it removed, as "container <id> (<name>)" / "image <ref>". */
export async function cleanEngine(engine: Engine): Promise<string[]> {
  const removed: string[] = [];
  for (const info of await engine.docker.listContainers({ all: true, filters: kindFilter('run') })) {
    if (info.State === 'running' && ownerAlive(info.Labels[LABEL.owner])) continue;
    await engine.docker.getContainer(info.Id).remove({ force: true });
    removed.push(`container ${info.Id.slice(0, 12)} on ${engine.url}`);
  }
  const images = (await engine.docker.listImages({ filters: kindFilter('lab-image') })).sort((a, b) => b.Created - a.Created);
  for (const image of images.slice(1)) {
    const ok = await engine.docker
      .getImage(image.Id)
      .remove()
      .then(
        () => true,
        () => false,
      );
    if (ok) removed.push(`image ${image.RepoTags?.[0] ?? image.Id.slice(0, 19)} on ${engine.url}`);
  }
  return removed;
}
