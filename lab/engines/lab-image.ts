// The lab's image on an engine: named mplab:<hash of the Dockerfile (base, packages) and
// every project file>, built only when the engine lacks that name, so the same code is
// built once per engine and a change to it is a new image. After a build the engine's
// older lab images are removed (their shared layers stay as the build cache).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-fs';
import { ensureBaseImage, type BaseImage } from './base-image.ts';
import type { Engine } from './docker-host.ts';
import { followProgress } from './docker-stream.ts';
import { CONTEXT_CA_FILE, CONTEXT_PROJECT_DIR, labDockerfile } from './dockerfile.ts';
import { hashParts, imagePackages, projectFiles, projectHash, REPO_ROOT } from './image-contents.ts';
import { kindFilter, LABEL } from './labels.ts';

export interface LabImage {
  ref: string;
  id: string;
  hash: string;
  base: BaseImage;
  /** Whether this call built it (false: it was on the engine already). */
  built: boolean;
  /** Time spent making sure it is there (base included), ms. */
  elapsedMs: number;
}

const REPO = 'mplab';
const BUILD_LOG_TAIL = 30;
/** Same time on every file, so the build context of the same files is the same bytes. */
const EPOCH = new Date(0);

/** The extra CA certificates this host's Node trusts, if any (see labDockerfile). */
async function hostExtraCa(): Promise<Buffer | undefined> {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  return file ? readFile(file).catch(() => undefined) : undefined;
}

/** The build context: the Dockerfile, the host's extra CAs and the project's files under project/, as a tar stream. */
async function buildContext(dockerfile: string, extraCa: Buffer | undefined): Promise<NodeJS.ReadableStream> {
  const entries = await projectFiles();
  // tar-fs makes a streamx stream; Readable.from turns it into the Node stream dockerode takes.
  const pack = tar.pack(REPO_ROOT, {
    entries,
    map: (header) => ({ ...header, name: path.posix.join(CONTEXT_PROJECT_DIR, header.name), mtime: EPOCH, uid: 0, gid: 0 }),
    finalize: false,
    finish: (pack) => {
      pack.entry({ name: 'Dockerfile', mtime: EPOCH }, dockerfile);
      if (extraCa) pack.entry({ name: CONTEXT_CA_FILE, mtime: EPOCH }, extraCa);
      pack.finalize();
    },
  });
  return Readable.from(pack);
}

interface Recipe {
  dockerfile: string;
  extraCa: Buffer | undefined;
}

async function build(engine: Engine, ref: string, hash: string, recipe: Recipe, log: (line: string) => void): Promise<void> {
  const tail: string[] = [];
  const stream = await engine.docker.buildImage(await buildContext(recipe.dockerfile, recipe.extraCa), {
    t: ref,
    labels: { [LABEL.kind]: 'lab-image', [LABEL.hash]: hash },
    // RUN steps (apt-get, npm ci) use the engine host's network: no bridge or NAT needed.
    networkmode: 'host',
    rm: true,
    forcerm: true,
  });
  try {
    await followProgress(engine.docker, stream, (message) => {
      for (const line of (message.stream ?? '').split('\n').filter(Boolean)) {
        tail.push(line);
        if (tail.length > BUILD_LOG_TAIL) tail.shift();
        if (/^Step \d+\/\d+ :/.test(line)) log(`mplab: ${engine.url}: ${line.slice(0, 160)}`);
      }
    });
  } catch (error) {
    throw new Error(`building ${ref} on ${engine.url} failed: ${error instanceof Error ? error.message : String(error)}\n${tail.join('\n')}`);
  }
}

/** Removes this engine's lab images other than `keep` (an image a container still uses stays). */
async function removeSuperseded(engine: Engine, keep: string): Promise<void> {
  for (const image of await engine.docker.listImages({ filters: kindFilter('lab-image') })) {
    if (image.Id === keep) continue;
    await engine.docker
      .getImage(image.Id)
      .remove()
      .catch(() => undefined);
  }
}

/** The lab image for the project as it is now, on this engine. */
export async function ensureLabImage(engine: Engine, log: (line: string) => void): Promise<LabImage> {
  const startedAt = Date.now();
  await engine.docker.ping().catch((error: unknown) => {
    throw new Error(`${engine.url}: no Docker engine answers (${error instanceof Error ? error.message : String(error)})`);
  });
  const base = await ensureBaseImage(engine, log);
  const extraCa = await hostExtraCa();
  const recipe = { dockerfile: labDockerfile(base.ref, imagePackages(), extraCa !== undefined), extraCa };
  const hash = hashParts([recipe.dockerfile, extraCa ?? '', await projectHash()]).slice(0, 16);
  const ref = `${REPO}:${hash}`;
  const existing = await engine.docker
    .getImage(ref)
    .inspect()
    .catch(() => undefined);
  if (existing) {
    log(`mplab: ${engine.url}: ${ref} is there already (same content hash)`);
    return { ref, id: existing.Id, hash, base, built: false, elapsedMs: Date.now() - startedAt };
  }
  log(`mplab: ${engine.url}: building ${ref} on ${base.ref}`);
  await build(engine, ref, hash, recipe, log);
  const { Id } = await engine.docker.getImage(ref).inspect();
  await removeSuperseded(engine, Id);
  const elapsedMs = Date.now() - startedAt;
  log(`mplab: ${engine.url}: ${ref} built in ${(elapsedMs / 1000).toFixed(0)} s`);
  return { ref, id: Id, hash, base, built: true, elapsedMs };
}
