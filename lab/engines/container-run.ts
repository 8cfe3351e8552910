// One lab command in a container on an engine: created from the lab image with the
// privileges the engine allows (privileged first, then the capability set; what worked
// is remembered per engine), given its input files, followed line by line, and, once it
// exits, its output directory copied back to the host. The container is removed
// afterwards, on error and on Ctrl-C.
import { hostname } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import tar from 'tar-fs';
import tarStream from 'tar-stream';
import type { Engine } from './docker-host.ts';
import { containerLines } from './docker-stream.ts';
import { IMAGE_INPUT_DIR, IMAGE_OUTPUT_DIR, IMAGE_PROJECT_DIR } from './dockerfile.ts';
import { onInterrupt, wasInterrupted } from './interrupt.ts';
import type { LabImage } from './lab-image.ts';
import { LABEL } from './labels.ts';
import { hostConfigFor, PRIVILEGES, type Privilege } from './privileges.ts';
import { engineVariable, type DockerEngineRecord } from './run-engine.ts';

export interface ContainerJob {
  engine: Engine;
  image: LabImage;
  /** mplab's arguments in the container (what follows `mplab`). */
  args: string[];
  /** Files placed in IMAGE_INPUT_DIR before it starts: name -> content. */
  inputs: Record<string, string>;
  /** Where IMAGE_OUTPUT_DIR's contents are copied to on the host when it has exited. */
  outputDir: string;
  /** The git state of the tree the image holds, for the run's environment. */
  git: DockerEngineRecord['git'];
  labels?: Record<string, string>;
  onLine?: (line: string, from: 'stdout' | 'stderr') => void;
}

export interface ContainerOutcome {
  containerId: string;
  exitCode: number;
  privilege: Privilege;
  /** The engine's own start and finish times of the container (ISO). */
  startedAt: string;
  finishedAt: string;
}

/** What each engine accepted, so later containers go straight to it. */
const acceptedPrivilege = new Map<string, Privilege>();

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim();
}

function inputArchive(inputs: Record<string, string>): Readable {
  const pack = tarStream.pack();
  for (const [name, content] of Object.entries(inputs)) pack.entry({ name, mode: 0o644 }, content);
  pack.finalize();
  return Readable.from(pack);
}

async function create(job: ContainerJob, privilege: Privilege): Promise<Docker.Container> {
  const record: DockerEngineRecord = { kind: 'docker', dockerHost: job.engine.url, image: job.image.ref, imageId: job.image.id, base: job.image.base.ref, privilege, git: job.git };
  const container = await job.engine.docker.createContainer({
    Image: job.image.ref,
    Cmd: [`${IMAGE_PROJECT_DIR}/bin/mplab`, ...job.args],
    WorkingDir: IMAGE_PROJECT_DIR,
    Env: [engineVariable(record)],
    Labels: { [LABEL.kind]: 'run', [LABEL.owner]: `${hostname()}:${process.pid}`, ...job.labels },
    HostConfig: hostConfigFor(privilege),
  });
  await container.putArchive(inputArchive(job.inputs), { path: IMAGE_INPUT_DIR });
  return container;
}

/** Creates and starts the container with the first privileges the engine accepts; every container it made goes into `made`. */
async function start(job: ContainerJob, made: Docker.Container[]): Promise<{ container: Docker.Container; privilege: Privilege }> {
  const known = acceptedPrivilege.get(job.engine.url);
  const refusals: string[] = [];
  for (const privilege of known ? [known] : PRIVILEGES) {
    if (wasInterrupted()) throw new Error('interrupted');
    const container = await create(job, privilege);
    made.push(container);
    try {
      await container.start();
      acceptedPrivilege.set(job.engine.url, privilege);
      return { container, privilege };
    } catch (error) {
      refusals.push(`${privilege}: ${describe(error)}`);
      await container.remove({ force: true }).catch(() => undefined);
    }
  }
  throw new Error(`${job.engine.url} would not start a lab container (${refusals.join('; ')})`);
}

async function copyOutput(container: Docker.Container, dir: string): Promise<void> {
  const archive = await container.getArchive({ path: IMAGE_OUTPUT_DIR });
  // The archive's entries start with the directory's own name (out/...).
  await pipeline(archive, tar.extract(dir, { strip: 1 }));
}

export async function runLabContainer(job: ContainerJob): Promise<ContainerOutcome> {
  const made: Docker.Container[] = [];
  const removeMade = () => Promise.all(made.map((c) => c.remove({ force: true }).catch(() => undefined)));
  let starting: Promise<unknown> = Promise.resolve();
  // On Ctrl-C: let a create already sent to the engine come back, then remove what was made.
  const forget = onInterrupt(async () => {
    await starting.catch(() => undefined);
    await removeMade();
  });
  try {
    const started = start(job, made);
    starting = started;
    const { container, privilege } = await started;
    const logs = await container.logs({ follow: true, stdout: true, stderr: true });
    const lines = containerLines(job.engine.docker, logs, job.onLine ?? (() => undefined));
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await lines;
    const { State } = await container.inspect();
    await copyOutput(container, job.outputDir);
    return { containerId: container.id, exitCode: StatusCode, privilege, startedAt: State.StartedAt, finishedAt: State.FinishedAt };
  } finally {
    await removeMade();
    forget();
  }
}
