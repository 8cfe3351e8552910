// The image the lab's image is built on: Debian 12 with Node. Where the engine can pull
// from a registry, Node's official Debian 12 image of this host's Node version (the lab's
// packages are then installed by the Dockerfile). Otherwise a debootstrap root filesystem
// with the packages and this host's Node already in it (rootfs.ts), imported as a tar
// stream. Each kept on the engine under a name that says what is in it.
import { createReadStream } from 'node:fs';
import type { Engine } from './docker-host.ts';
import { followProgress } from './docker-stream.ts';
import { DEBIAN_SUITE, hostNode, imagePackages } from './image-contents.ts';
import { debianMirror } from './apt-mirror.ts';
import { rootfsKey, rootfsTarball, type RootfsSpec } from './rootfs.ts';
import { LABEL } from './labels.ts';

export interface BaseImage {
  ref: string;
  source: 'registry' | 'debootstrap';
}

export const REGISTRY_BASE = `node:${process.versions.node}-${DEBIAN_SUITE}-slim`;
const IMPORTED_REPO = 'mplab-base';

/** Docker's names for Node's process.arch values. */
const DOCKER_ARCH: Partial<Record<NodeJS.Architecture, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

async function hasImage(engine: Engine, ref: string): Promise<boolean> {
  return engine.docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

async function pulled(engine: Engine, ref: string, log: (line: string) => void): Promise<boolean> {
  try {
    await followProgress(engine.docker, await engine.docker.pull(ref));
    return true;
  } catch (error) {
    log(`mplab: ${engine.url}: cannot pull ${ref} (${(error instanceof Error ? error.message : String(error)).trim()}); making the base image with debootstrap`);
    return false;
  }
}

async function importRootfs(engine: Engine, ref: string, spec: RootfsSpec, key: string, log: (line: string) => void): Promise<void> {
  const { Arch } = await engine.docker.version();
  if (Arch !== DOCKER_ARCH[process.arch]) {
    throw new Error(`${engine.url} runs ${Arch} containers, this host is ${process.arch}: a debootstrap base made here (with this host's Node) would not run there; give that engine a registry`);
  }
  const tarball = await rootfsTarball(spec, key, log);
  log(`mplab: ${engine.url}: importing ${tarball} as ${ref}`);
  const [repo, tag] = ref.split(':') as [string, string];
  const stream = await engine.docker.importImage(createReadStream(tarball), {
    repo,
    tag,
    changes: [`LABEL ${LABEL.kind}=base-image`, 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  });
  await followProgress(engine.docker, stream);
}

/**
 * The base image on this engine: one it has already (Node's, else the debootstrap one of
 * this host's Node and packages), else Node's pulled, else the debootstrap one imported.
 */
export async function ensureBaseImage(engine: Engine, log: (line: string) => void): Promise<BaseImage> {
  if (await hasImage(engine, REGISTRY_BASE)) return { ref: REGISTRY_BASE, source: 'registry' };
  const spec: RootfsSpec = { suite: DEBIAN_SUITE, mirror: await debianMirror(DEBIAN_SUITE), packages: imagePackages(), node: hostNode() };
  const key = await rootfsKey(spec);
  const ref = `${IMPORTED_REPO}:${key}`;
  if (await hasImage(engine, ref)) return { ref, source: 'debootstrap' };
  if (await pulled(engine, REGISTRY_BASE, log)) return { ref: REGISTRY_BASE, source: 'registry' };
  await importRootfs(engine, ref, spec, key, log);
  return { ref, source: 'debootstrap' };
}
