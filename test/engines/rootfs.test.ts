// The debootstrap base's tar keeps the tree's modes (world-writable sticky /tmp, setuid
// programs) and leaves out what a container does not need.
import test from 'ava';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tarStream from 'tar-stream';
import { packTree } from '../../lab/engines/rootfs.ts';

async function entries(file: string): Promise<Map<string, number>> {
  const modes = new Map<string, number>();
  const extract = tarStream.extract();
  extract.on('entry', (header, stream, next) => {
    modes.set(header.name.replace(/\/$/, ''), header.mode ?? -1);
    stream.on('end', next).resume();
  });
  await new Promise<void>((resolve, reject) => createReadStream(file).pipe(extract).on('finish', resolve).on('error', reject));
  return modes;
}

test('packTree: modes as they are on disk, whatever the umask; device nodes and downloaded .debs left out', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mplab-rootfs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'root');
  for (const sub of ['tmp', 'usr/bin', 'dev', 'var/cache/apt/archives']) await mkdir(path.join(root, sub), { recursive: true });
  await chmod(path.join(root, 'tmp'), 0o1777);
  await writeFile(path.join(root, 'usr/bin/su'), '');
  await chmod(path.join(root, 'usr/bin/su'), 0o4755);
  await writeFile(path.join(root, 'dev/null'), '');
  await writeFile(path.join(root, 'var/cache/apt/archives/x.deb'), '');
  const previous = process.umask(0o022);
  t.teardown(() => void process.umask(previous));
  await packTree(root, path.join(dir, 'root.tar'));
  const modes = await entries(path.join(dir, 'root.tar'));
  t.is(modes.get('tmp'), 0o1777);
  t.is(modes.get('usr/bin/su'), 0o4755);
  t.true(modes.has('dev'));
  t.false(modes.has('dev/null'));
  t.false(modes.has('var/cache/apt/archives/x.deb'));
});
