// The shipped systemd units: `systemd-analyze verify` passes (in a scratch root that
// holds the programs they name) and `systemd-analyze security` rates each OK or better.
import test from 'ava';
import { execa } from 'execa';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const UNITS = ['mprelay-local.service', 'mprelay-remote.service'];
const unitPath = (unit: string) => path.resolve('relay/systemd', unit);

/** A root with the distribution's units and a stand-in for each program the units run (verify checks they exist). */
async function scratchRoot(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'mprelay-units-'));
  await mkdir(path.join(root, 'etc/systemd/system'), { recursive: true });
  await cp('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true });
  for (const unit of UNITS) await cp(unitPath(unit), path.join(root, 'etc/systemd/system', unit));
  for (const program of ['usr/local/bin/mprelay', 'usr/sbin/nft', 'bin/kill']) {
    await mkdir(path.join(root, path.dirname(program)), { recursive: true });
    await writeFile(path.join(root, program), '#!/bin/sh\n');
    await chmod(path.join(root, program), 0o755);
  }
  return root;
}

test('systemd-analyze verify passes for both units', async (t) => {
  const root = await scratchRoot();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const result = await execa('systemd-analyze', ['verify', `--root=${root}`, ...UNITS], { reject: false });
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stderr, '');
  // The check can fail: a misspelt directive is reported.
  await writeFile(path.join(root, 'etc/systemd/system', UNITS[0] ?? ''), (await readFile(unitPath(UNITS[0] ?? ''), 'utf8')).replace('NoNewPrivileges', 'NoNewPrivilege'));
  t.regex((await execa('systemd-analyze', ['verify', `--root=${root}`, UNITS[0] ?? ''], { reject: false })).stderr, /Unknown key 'NoNewPrivilege' in section \[Service\]/);
});

for (const unit of UNITS) {
  test(`systemd-analyze security rates ${unit} OK or better`, async (t) => {
    const { stdout } = await execa('systemd-analyze', ['security', '--offline=yes', '--no-pager', unitPath(unit)], { env: { SYSTEMD_COLORS: '0' } });
    const [, score, rating] = /Overall exposure level for \S+: (\d+\.\d) (\S+)/.exec(stdout) ?? [];
    t.log(`${unit}: ${score} ${rating}`);
    t.true(['SAFE', 'OK'].includes(rating ?? ''), `${score} ${rating}`);
  });
}

test('the local unit keeps CAP_NET_ADMIN for TPROXY and reads the key as a credential, not a world-readable file', async (t) => {
  const text = await readFile(unitPath('mprelay-local.service'), 'utf8');
  t.regex(text, /^AmbientCapabilities=CAP_NET_ADMIN$/m);
  t.regex(text, /^CapabilityBoundingSet=CAP_NET_ADMIN$/m);
  t.regex(text, /^LoadCredential=local\.yaml:\/etc\/mprelay\/local\.yaml$/m);
  t.regex(text, /^ExecStart=.* --config \$\{CREDENTIALS_DIRECTORY\}\/local\.yaml$/m);
});
