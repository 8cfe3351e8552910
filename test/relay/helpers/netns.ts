// A private network namespace for one test file, entered by the test process itself
// (setns on the main thread, where libuv creates sockets), so that tests can use real
// nftables REDIRECT rules without touching the machine's own network.
import koffi from 'koffi';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { execa } from 'execa';

const CLONE_NEWNET = 0x40000000;
const setns = koffi.load('libc.so.6').func('int setns(int, int)');

function enter(fd: number): void {
  if (setns(fd, CLONE_NEWNET) !== 0) throw new Error(`setns failed: errno ${koffi.errno()}`);
}

export interface TestNamespace {
  name: string;
  /** Runs a command inside the namespace. */
  run(file: string, args: readonly string[]): Promise<string>;
  /** An nftables table `table` that redirects this namespace's own TCP from `source` to a local relay on `port`. */
  redirectFrom(source: string, port: number, table: string): Promise<void>;
  /** Leaves the namespace and deletes it. */
  destroy(): Promise<void>;
}

/** Creates `mpl-<unique>-<role>`, brings up lo, and moves this process's main thread into it. */
export async function enterNewNamespace(role: string): Promise<TestNamespace> {
  const name = `mpl-${randomBytes(4).toString('hex')}-${role}`;
  await execa('ip', ['netns', 'add', name]);
  const run = async (file: string, args: readonly string[]) => (await execa('ip', ['netns', 'exec', name, file, ...args])).stdout;
  await run('ip', ['link', 'set', 'lo', 'up']);
  const home = openSync('/proc/thread-self/ns/net', 'r');
  const inside = openSync(`/run/netns/${name}`, 'r');
  enter(inside);
  closeSync(inside);
  return {
    name,
    run,
    async redirectFrom(source, port, table) {
      const rule = `ip saddr ${source} meta l4proto tcp redirect to :${port}`;
      await run('/usr/sbin/nft', [`table ip ${table} {\n  chain out {\n    type nat hook output priority -100; policy accept;\n    ${rule}\n  }\n}`]);
    },
    async destroy() {
      enter(home);
      closeSync(home);
      await execa('ip', ['netns', 'del', name]);
    },
  };
}
