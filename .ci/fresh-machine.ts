// The container half of .ci/fresh-machine (read that first): a machine that has never run
// the lab, made as the lab makes its own debootstrap base (lab/engines/rootfs.ts) but
// with nothing added to Debian 12 minbase except this host's Node and npm, and git (the
// README's reader cloned the repository: the lab records its revision); and one shell
// command run in it on a copy of a clean clone, with the container's output followed
// line by line. The container shares the engine host's network (apt and npm must reach
// their registries, as on a real fresh machine) and has the lab's capability set.
//
//   tsx .ci/fresh-machine.ts image <engine-url>                          prints the image ref
//   tsx .ci/fresh-machine.ts run <engine-url> <image> <clone-dir> <out-dir> <command>
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createReadStream, existsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import tar from 'tar-fs';
import tarStream from 'tar-stream';
import { debianMirror } from '../lab/engines/apt-mirror.ts';
import { connectEngine, type Engine } from '../lab/engines/docker-host.ts';
import { containerLines, followProgress } from '../lab/engines/docker-stream.ts';
import { DEBIAN_SUITE, hostNode } from '../lab/engines/image-contents.ts';
import { LABEL } from '../lab/engines/labels.ts';
import { hostConfigFor } from '../lab/engines/privileges.ts';
import { rootfsKey, rootfsTarball, type RootfsSpec } from '../lab/engines/rootfs.ts';

const IMAGE_REPO = 'mplab-fresh';
const HOME = '/root';
const CHECKOUT = `${HOME}/mplab`;
/** The host's extra CA certificates (a TLS-intercepting proxy before the npm registry), given to Node in the container. */
const EXTRA_CA = `${HOME}/extra-ca.crt`;
/**
 * A machine of its own gives root SCHED_FIFO; a container under cgroup v1 with RT group
 * scheduling gets none unless it asks (its engine's parent cgroup has a budget: .ci/dockerd).
 * Past its budget the container's real-time tasks are stopped until the next second: with
 * 100 ms a second the emulators (5-8 % of a core per loaded link) hit it, and one block's
 * lateness p99 read 4.3 ms. Half of each second leaves them far from it.
 */
const REALTIME: Docker.HostConfig = existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us') ? { CpuRealtimeRuntime: 500_000 } : {};

const log = (line: string) => console.error(line);

async function ensureImage(engine: Engine): Promise<string> {
  const spec: RootfsSpec = { suite: DEBIAN_SUITE, mirror: await debianMirror(DEBIAN_SUITE), packages: ['git'], node: hostNode() };
  const key = await rootfsKey(spec);
  const ref = `${IMAGE_REPO}:${key}`;
  const known = await engine.docker.getImage(ref).inspect().then(() => true, () => false);
  if (known) return ref;
  const tarball = await rootfsTarball(spec, key, log);
  log(`fresh-machine: importing ${tarball} as ${ref}`);
  const stream = await engine.docker.importImage(createReadStream(tarball), {
    repo: IMAGE_REPO,
    tag: key,
    changes: ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  });
  await followProgress(engine.docker, stream);
  return ref;
}

/** The clone as <HOME>/mplab, and the host's extra CA file when it has one. */
async function putInputs(container: Docker.Container, cloneDir: string): Promise<void> {
  const clone = tar.pack(cloneDir, { map: (header) => ({ ...header, name: path.posix.join('mplab', header.name) }) });
  await container.putArchive(clone, { path: HOME });
  const caFile = process.env.NODE_EXTRA_CA_CERTS;
  if (!caFile) return;
  const pack = tarStream.pack();
  pack.entry({ name: path.basename(EXTRA_CA), mode: 0o644 }, await readFile(caFile));
  pack.finalize();
  await container.putArchive(Readable.from(pack), { path: HOME });
}

async function runCommand(engine: Engine, image: string, cloneDir: string, outDir: string, command: string): Promise<number> {
  const container = await engine.docker.createContainer({
    Image: image,
    Cmd: ['bash', '-c', command],
    WorkingDir: CHECKOUT,
    Env: [`HOME=${HOME}`, ...(process.env.NODE_EXTRA_CA_CERTS ? [`NODE_EXTRA_CA_CERTS=${EXTRA_CA}`] : [])],
    // Labelled as a lab run, so `mplab clean --engines` removes it if this process dies.
    Labels: { [LABEL.kind]: 'run', [LABEL.owner]: `${hostname()}:${process.pid}` },
    HostConfig: { ...hostConfigFor('capabilities'), NetworkMode: 'host', ...REALTIME },
  });
  const remove = () => container.remove({ force: true }).catch(() => undefined);
  process.once('SIGINT', () => void remove().then(() => process.exit(130)));
  process.once('SIGTERM', () => void remove().then(() => process.exit(143)));
  try {
    await putInputs(container, cloneDir);
    await container.start();
    const logs = await container.logs({ follow: true, stdout: true, stderr: true });
    const lines = containerLines(engine.docker, logs, (line, from) => (from === 'stdout' ? console.log(line) : console.error(line)));
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await lines;
    // The runs' reports, for the record (absent when the scenario did not get to write one).
    const reports = await container.getArchive({ path: `${CHECKOUT}/reports` }).catch(() => undefined);
    if (reports) await pipeline(reports, tar.extract(outDir));
    return StatusCode;
  } finally {
    await remove();
  }
}

const [action, url, ...rest] = process.argv.slice(2);
if (!url || (action !== 'image' && action !== 'run') || (action === 'run' && rest.length !== 4)) {
  console.error('usage: fresh-machine.ts image <engine-url> | run <engine-url> <image> <clone-dir> <out-dir> <command>');
  process.exit(2);
}
const engine = connectEngine(url);
if (action === 'image') {
  console.log(await ensureImage(engine));
} else {
  const [image, cloneDir, outDir, command] = rest as [string, string, string, string];
  process.exitCode = await runCommand(engine, image, path.resolve(cloneDir), path.resolve(outDir), command);
}
