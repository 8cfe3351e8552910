// What goes into the lab's image: the Debian packages the lab and every system under
// test run, a few the image itself needs, Node, and the project's own files. The image
// is named by a hash of all of it (lab-image.ts), so any change here rebuilds it.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { systemsByName } from '../systems/index.ts';
import { LAB_REQUIREMENTS } from './packages.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** The Debian release the image is made of (the lab's machines run Debian 12). */
export const DEBIAN_SUITE = 'bookworm';

/**
 * Packages the image needs besides the programs: procps (sysctl, read for every run's
 * environment), a C compiler for the link emulator (built in the image, against the
 * image's own libc, by the package's install script), and CA certificates for npm.
 */
const IMAGE_PACKAGES = ['procps', 'gcc', 'libc6-dev', 'ca-certificates'];

/** Every Debian package the image installs, sorted. */
export function imagePackages(): string[] {
  const programs = [...LAB_REQUIREMENTS, ...Object.values(systemsByName).map((system) => system.needs)].flatMap((r) => r.debianPackages);
  return [...new Set([...programs, ...IMAGE_PACKAGES])].sort();
}

/** The project's files the lab needs to run (not tests, reports or node_modules). */
const PROJECT_ENTRIES = ['package.json', 'package-lock.json', 'tsconfig.json', 'bin', 'lab', 'relay', 'scenarios'];

/** Paths (relative to the repository, '/'-separated, sorted) of every project file the image holds. */
export async function projectFiles(root = REPO_ROOT): Promise<string[]> {
  const files: string[] = [];
  for (const entry of PROJECT_ENTRIES) {
    const full = path.join(root, entry);
    const info = await stat(full).catch(() => undefined);
    if (info?.isFile()) files.push(entry);
    if (!info?.isDirectory()) continue;
    for (const item of await readdir(full, { recursive: true, withFileTypes: true })) {
      if (item.isFile()) files.push(path.relative(root, path.join(item.parentPath, item.name)).split(path.sep).join('/'));
    }
  }
  return files.sort();
}

/** sha256 (hex) of labelled parts; each part's length is hashed too, so parts cannot run into each other. */
export function hashParts(parts: Iterable<string | Buffer>): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part) : part;
    hash.update(`${bytes.length}:`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/** Hash of the project's files (names and contents). */
export async function projectHash(root = REPO_ROOT): Promise<string> {
  const parts: (string | Buffer)[] = [];
  for (const file of await projectFiles(root)) parts.push(file, await readFile(path.join(root, file)));
  return hashParts(parts);
}

/** The Node this process runs on, as brought into the image: its binary and the npm next to it. */
export interface HostNode {
  version: string;
  binary: string;
  /** npm's package directory (<prefix>/lib/node_modules/npm, as both Node's tarballs and Debian-style packages lay it out). */
  npmDir: string;
}

export function hostNode(): HostNode {
  return { version: process.version, binary: process.execPath, npmDir: path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm') };
}
