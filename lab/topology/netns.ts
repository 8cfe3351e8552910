// Running programs inside a network namespace. Every other module goes through here,
// so how a command enters a namespace is decided once.
import { execa, type Options, type ResultPromise } from 'execa';

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * System programs only: under `npm test`/`npm run`, node_modules/.bin comes first on
 * PATH, and it has an `nft` of its own (@vercel/nft, via ava) that is not nftables.
 */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function withSystemPath<O extends Options>(options: O | undefined): Options {
  return { ...options, env: { PATH: SYSTEM_PATH, ...options?.env } };
}

/** Runs a command to completion inside a namespace; rejects with execa's error on failure. */
export function nsRun<O extends Options = {}>(ns: string, file: string, args: readonly string[], options?: O): ResultPromise<O> {
  return execa('ip', ['netns', 'exec', ns, file, ...args], { timeout: DEFAULT_TIMEOUT_MS, ...withSystemPath(options) } as O) as unknown as ResultPromise<O>;
}

/**
 * Starts a long-running program inside a namespace. `ip netns exec` execs, so the
 * child's pid is the program's own pid: stopping it by pid stops the program.
 */
export function nsSpawn<O extends Options = {}>(ns: string, file: string, args: readonly string[], options?: O): ResultPromise<O> {
  return execa('ip', ['netns', 'exec', ns, file, ...args], { reject: false, ...withSystemPath(options) } as O) as unknown as ResultPromise<O>;
}

/** Runs `ip` inside a namespace (`ip -n`), the common case for configuration. */
export function ipIn(ns: string, args: readonly string[]) {
  return execa('ip', ['-n', ns, ...args], { timeout: 10_000 });
}
