// The Debian mirror this machine's apt already uses, for debootstrap: the one place a
// machine without a container registry is known to reach. Both source formats: one-line
// `deb URI suite components` (*.list) and deb822 stanzas (*.sources).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Used when no apt source names the suite (e.g. an Ubuntu host). */
export const FALLBACK_MIRROR = 'http://deb.debian.org/debian';

interface AptSource {
  uris: string[];
  suites: string[];
  components: string[];
}

function oneLineSources(text: string): AptSource[] {
  return text.split('\n').flatMap((line) => {
    const match = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.+)$/.exec(line.replace(/#.*/, ''));
    return match ? [{ uris: [match[1]!], suites: [match[2]!], components: match[3]!.trim().split(/\s+/) }] : [];
  });
}

function deb822Sources(text: string): AptSource[] {
  return text.split(/\n\s*\n/).flatMap((stanza) => {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (match) fields.set(match[1]!.toLowerCase(), match[2]!);
    }
    const list = (name: string) => (fields.get(name) ?? '').split(/\s+/).filter(Boolean);
    if (!list('types').includes('deb') || fields.get('enabled')?.trim() === 'no') return [];
    return [{ uris: list('uris'), suites: list('suites'), components: list('components') }];
  });
}

export function parseAptSources(text: string, format: 'list' | 'sources'): AptSource[] {
  return format === 'list' ? oneLineSources(text) : deb822Sources(text);
}

/** The first mirror whose sources carry `suite` main, or the fallback. */
export async function debianMirror(suite: string, aptDir = '/etc/apt'): Promise<string> {
  const files = [path.join(aptDir, 'sources.list')];
  const partsDir = path.join(aptDir, 'sources.list.d');
  for (const name of (await readdir(partsDir).catch(() => [])).sort()) files.push(path.join(partsDir, name));
  for (const file of files) {
    const format = file.endsWith('.sources') ? 'sources' : file.endsWith('.list') ? 'list' : undefined;
    if (!format) continue;
    const text = await readFile(file, 'utf8').catch(() => '');
    const source = parseAptSources(text, format).find((s) => s.suites.includes(suite) && s.components.includes('main') && s.uris.length > 0);
    if (source) return source.uris[0]!.replace(/\/+$/, '');
  }
  return FALLBACK_MIRROR;
}
