// The base root filesystem where no container registry is reachable: Debian made with
// debootstrap (minbase, the lab's packages included, from the mirror apt uses), with
// this host's Node and npm copied into /usr/local (Debian 12's own nodejs is v18, too old
// for the project). Kept as a tar file in the cache directory, named by a hash of what
// went into it, so every engine imports the same file and debootstrap runs once.
import { createWriteStream } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import tar from 'tar-fs';
import { hashParts, type HostNode } from './image-contents.ts';
import { ensurePackages } from './packages.ts';
import { logTail } from './proc.ts';

export interface RootfsSpec {
  suite: string;
  mirror: string;
  packages: string[];
  node: HostNode;
}

/** Where built root filesystems are kept: $MPLAB_CACHE_DIR, else $XDG_CACHE_HOME/mplab, else ~/.cache/mplab. */
export function cacheDir(): string {
  return process.env.MPLAB_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mplab');
}

/** How the tree is made and packed; raised when that changes, so tars made the old way are not reused (2: modes kept unmasked). */
const ROOTFS_FORMAT = '2';

/** Names the root filesystem: the format, suite, mirror, packages, and the exact Node binary and npm. */
export async function rootfsKey(spec: RootfsSpec): Promise<string> {
  const npm = JSON.parse(await readFile(path.join(spec.node.npmDir, 'package.json'), 'utf8')) as { version: string };
  return hashParts([ROOTFS_FORMAT, spec.suite, spec.mirror, spec.packages.join(' '), spec.node.version, await readFile(spec.node.binary), npm.version]).slice(0, 16);
}

/** What a container does not need from the tree: device nodes (Docker makes /dev), downloaded .debs, apt lists. */
function leftOut(root: string): (name: string) => boolean {
  const patterns = [/^(dev|proc|sys)\/./, /^var\/cache\/apt\/archives\/.+\.deb$/, /^var\/lib\/apt\/lists\/./];
  return (name) => patterns.some((p) => p.test(path.relative(root, name)));
}

/**
 * Writes the tree at `root` as a tar file, modes as they are: tar-fs masks them with the
 * process's umask by default, which left /tmp 1755 and apt's sandbox user unable to
 * write there (the option is tar-fs's, missing from its type definitions).
 */
export async function packTree(root: string, file: string): Promise<void> {
  const packing: tar.PackOptions & { umask: number } = { ignore: leftOut(root), umask: 0 };
  await pipeline(tar.pack(root, packing), createWriteStream(file));
}

async function debootstrap(spec: RootfsSpec, dir: string, logFile: string): Promise<void> {
  const include = spec.packages.length > 0 ? [`--include=${spec.packages.join(',')}`] : [];
  const args = ['--variant=minbase', ...include, spec.suite, dir, spec.mirror];
  const result = await execa('debootstrap', args, { reject: false, all: true });
  await mkdir(path.dirname(logFile), { recursive: true });
  await writeFile(logFile, `debootstrap ${args.join(' ')}\n${result.all ?? ''}\n`);
  if (result.exitCode !== 0) throw new Error(`debootstrap failed (exit ${result.exitCode}); ${logFile}:\n${await logTail([logFile])}`);
}

/** Copies the host's node and npm into <root>/usr/local, laid out as Node's own tarballs are. */
async function addHostNode(root: string, node: HostNode): Promise<void> {
  const local = path.join(root, 'usr/local');
  await mkdir(path.join(local, 'bin'), { recursive: true });
  await cp(node.binary, path.join(local, 'bin/node'));
  await cp(node.npmDir, path.join(local, 'lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true });
  await symlink('../lib/node_modules/npm/bin/npm-cli.js', path.join(local, 'bin/npm'));
  await symlink('../lib/node_modules/npm/bin/npx-cli.js', path.join(local, 'bin/npx'));
}

async function buildRootfsTar(spec: RootfsSpec, file: string, log: (line: string) => void): Promise<void> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new Error('no container registry is reachable, and the base image can only be made here with debootstrap, which needs Linux and root');
  }
  await ensurePackages([{ debianPackages: ['debootstrap'], commands: ['debootstrap'] }], log);
  const work = await mkdtemp(path.join(path.dirname(file), 'rootfs-'));
  try {
    log(`mplab: debootstrap ${spec.suite} (minbase + ${spec.packages.length} packages) from ${spec.mirror}, with node ${spec.node.version}`);
    await debootstrap(spec, work, `${file.replace(/\.tar$/, '')}.log`);
    await addHostNode(work, spec.node);
    await packTree(work, `${file}.partial`);
    await rename(`${file}.partial`, file);
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(`${file}.partial`, { force: true });
  }
}

const building = new Map<string, Promise<string>>();

/** The root filesystem tar for `spec` (made once, then taken from the cache); its path. */
export async function rootfsTarball(spec: RootfsSpec, key: string, log: (line: string) => void): Promise<string> {
  const file = path.join(cacheDir(), `rootfs-${key}.tar`);
  if (await stat(file).then((s) => s.isFile(), () => false)) return file;
  let pending = building.get(key);
  if (!pending) {
    pending = mkdir(cacheDir(), { recursive: true }).then(() => buildRootfsTar(spec, file, log)).then(() => file);
    building.set(key, pending);
    pending.catch(() => building.delete(key));
  }
  return pending;
}
