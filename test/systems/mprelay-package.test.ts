// mprelay installed as a gateway would install it: `npm pack` of relay/, the tarball
// installed into an empty prefix with --omit=dev and no C compiler on PATH, then the
// installed `bin/mprelay remote` and `bin/mprelay local` started in the lab topology
// (plain node, no tsx) relaying a real curl download and upload.
import test from 'ava';
import { execa } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mprelaySystem } from '../../lab/systems/mprelay.ts';
import { ADDR } from '../../lab/topology/types.ts';
import { useTopology } from '../helpers/topology.ts';
import { assertBytesBothWays, startTrafficServer } from '../helpers/traffic.ts';
import { startSystem } from './harness.ts';

/** A PATH with node, npm and sh only: an install that wanted cc, make or python would fail. */
async function bareToolPath(dir: string): Promise<string> {
  const bin = path.join(dir, 'tools');
  await mkdir(bin);
  const npmCli = path.join(path.dirname(process.execPath), 'npm');
  for (const [name, target] of [['node', process.execPath], ['npm', npmCli], ['sh', '/bin/sh']] as const) await symlink(target, path.join(bin, name));
  return bin;
}

test.serial('npm pack of relay/, installed with --omit=dev and no compiler, relays a real connection in the lab', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mprelay-pack-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { stdout } = await execa('npm', ['pack', '--json', '--pack-destination', dir], { cwd: 'relay' });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  t.truthy(packed);
  const files = packed?.files.map((f) => f.path) ?? [];
  t.true(files.includes('dist/cli.js') && files.includes('systemd/mprelay-local.service') && files.includes('PROTOCOL.md'), files.join(' '));
  t.false(files.some((f) => f.endsWith('.ts')), 'compiled JavaScript only');

  const prefix = path.join(dir, 'prefix');
  const tools = await bareToolPath(dir);
  await execa('npm', ['install', '--global', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', path.join(dir, packed?.filename ?? '')], {
    // The machine's environment (its CA and registry settings) with only PATH changed.
    env: { ...process.env, PATH: tools },
    extendEnv: false,
  });
  const installed = path.join(prefix, 'lib', 'node_modules');
  const modules = readdirSync(path.join(installed, 'mprelay', 'node_modules'));
  for (const devOnly of ['tsx', 'typescript', 'ava', 'esbuild', 'playwright-core']) t.false(modules.includes(devOnly), `${devOnly} is not installed`);
  t.false(existsSync(path.join(installed, 'mprelay', 'lab')), 'none of the lab');

  const topology = await useTopology(t);
  const running = await startSystem(t, mprelaySystem('redirect', { command: path.join(prefix, 'bin', 'mprelay'), args: [] }), topology);
  const server = await startTrafficServer(t, topology, running);
  t.is(await assertBytesBothWays(t, topology, running, server), ADDR.gwRemoteWan, 'the server sees gw-remote');
});
