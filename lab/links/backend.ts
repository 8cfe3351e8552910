// Picks and starts a link backend. `auto` is netem where the kernel has sch_netem,
// else the userspace emulator (these build machines have no sch_netem).
import { randomBytes } from 'node:crypto';
import { execaSync } from 'execa';
import type { LinkControl } from '../topology/types.ts';
import type { LinkBackendName } from './model.ts';
import { startNetemLink } from './netem.ts';
import { startUserspaceLink, type LinkStartOptions } from './userspace.ts';

export type BackendChoice = 'auto' | LinkBackendName;

let netemCheck: boolean | undefined;

/**
 * Whether this kernel can run netem, found by really adding a netem qdisc (to the
 * loopback of a scratch namespace): a module that exists on disk may still not load.
 * Synchronous (three short commands, once per process) so that a test file can
 * choose at load time whether its netem tests run or show as skipped.
 */
export function netemAvailableSync(): boolean {
  if (netemCheck !== undefined) return netemCheck;
  const ns = `mpl-netemcheck${process.pid}${randomBytes(2).toString('hex')}-scratch`;
  execaSync('ip', ['netns', 'add', ns], { timeout: 10_000 });
  try {
    const result = execaSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], { timeout: 10_000, reject: false });
    netemCheck = result.exitCode === 0;
  } finally {
    execaSync('ip', ['netns', 'del', ns], { timeout: 10_000, reject: false });
  }
  return netemCheck;
}

export async function chooseBackend(choice: BackendChoice): Promise<LinkBackendName> {
  if (choice === 'userspace') return 'userspace';
  const netem = netemAvailableSync();
  if (choice === 'netem' && !netem) {
    throw new Error('link backend netem requested, but this kernel has no sch_netem (adding a netem qdisc failed); use linkBackend: userspace or auto');
  }
  return netem ? 'netem' : 'userspace';
}

export function startLink(backend: LinkBackendName, opts: LinkStartOptions): Promise<LinkControl> {
  return backend === 'netem' ? startNetemLink(opts) : startUserspaceLink(opts);
}
