// The mirror debootstrap uses: found in either apt source format, the suite and main
// component required, and a fallback when no source names the suite.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { debianMirror, FALLBACK_MIRROR, parseAptSources } from '../../lab/engines/apt-mirror.ts';

test('both source formats are read; disabled stanzas and deb-src are not', (t) => {
  t.deepEqual(parseAptSources('# old\ndeb-src http://src/debian bookworm main\ndeb [arch=amd64] http://m/debian bookworm main contrib\n', 'list'), [
    { uris: ['http://m/debian'], suites: ['bookworm'], components: ['main', 'contrib'] },
  ]);
  const deb822 = 'Types: deb\nURIs: http://a/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nEnabled: no\nURIs: http://b/debian\nSuites: bookworm\nComponents: main\n';
  t.deepEqual(parseAptSources(deb822, 'sources'), [{ uris: ['http://a/debian'], suites: ['bookworm', 'bookworm-updates'], components: ['main'] }]);
});

test('the first source with the suite and main wins; none gives the fallback', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mplab-apt-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'sources.list.d'));
  await writeFile(path.join(dir, 'sources.list'), 'deb http://security/debian-security bookworm-security main\n');
  t.is(await debianMirror('bookworm', dir), FALLBACK_MIRROR);
  await writeFile(path.join(dir, 'sources.list.d', 'debian.sources'), 'Types: deb\nURIs: http://mirror.local/debian/\nSuites: bookworm\nComponents: main\n');
  t.is(await debianMirror('bookworm', dir), 'http://mirror.local/debian');
});
