// What the lab image holds: every system's packages, the project's own files (not its
// tests, reports or node_modules), and a hash that moves with any of their bytes.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { imagePackages, projectFiles, projectHash, REPO_ROOT } from '../../lab/engines/image-contents.ts';
import { systemsByName } from '../../lab/systems/index.ts';

test('the image installs every package the lab and each system need, and a compiler for the emulator', (t) => {
  const packages = imagePackages();
  for (const system of Object.values(systemsByName)) for (const name of system.needs.debianPackages) t.true(packages.includes(name), `${system.name}: ${name}`);
  for (const name of ['iproute2', 'nftables', 'procps', 'gcc', 'libc6-dev']) t.true(packages.includes(name), name);
  t.deepEqual(packages, [...packages].sort());
});

test("the project's files: code, scenarios and manifests; no tests, reports or dependencies", async (t) => {
  const files = await projectFiles();
  for (const name of ['package.json', 'package-lock.json', 'lab/cli.ts', 'lab/links/emulator.c', 'relay/cli.ts', 'scenarios/ci-smoke.yaml', 'bin/mplab']) t.true(files.includes(name), name);
  t.false(files.some((f) => /^(test|reports|node_modules|build)\//.test(f) || f.startsWith('.')), files.filter((f) => /^(test|reports|node_modules|build)\//.test(f)).join(', '));
});

test('the hash changes with a byte of a file and with a new file, and only then', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'mplab-hash-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  for (const entry of ['package.json', 'scenarios']) await cp(path.join(REPO_ROOT, entry), path.join(root, entry), { recursive: true });
  const first = await projectHash(root);
  t.is(await projectHash(root), first);
  await writeFile(path.join(root, 'scenarios/ci-smoke.yaml'), '# changed\n', { flag: 'a' });
  const changed = await projectHash(root);
  t.not(changed, first);
  await writeFile(path.join(root, 'scenarios/new.yaml'), '');
  t.not(await projectHash(root), changed);
});
