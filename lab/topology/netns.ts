// Running programs inside a network namespace. Every other module goes through here,
// so how a command enters a namespace is decided once.
import { execa, type Options, type ResultPromise } from 'execa';

const DEFAULT_TIMEOUT_MS = 30_000;

/** Runs a command to completion inside a namespace; rejects with execa's error on failure. */
export function nsRun<O extends Options = {}>(ns: string, file: string, args: readonly string[], options?: O): ResultPromise<O> {
  return execa('ip', ['netns', 'exec', ns, file, ...args], { timeout: DEFAULT_TIMEOUT_MS, ...options } as O) as unknown as ResultPromise<O>;
}

/**
 * Starts a long-running program inside a namespace. `ip netns exec` execs, so the
 * child's pid is the program's own pid: stopping it by pid stops the program.
 */
export function nsSpawn<O extends Options = {}>(ns: string, file: string, args: readonly string[], options?: O): ResultPromise<O> {
  return execa('ip', ['netns', 'exec', ns, file, ...args], { reject: false, ...options } as O) as unknown as ResultPromise<O>;
}

/** Runs `ip` inside a namespace (`ip -n`), the common case for configuration. */
export function ipIn(ns: string, args: readonly string[]) {
  return execa('ip', ['-n', ns, ...args], { timeout: 10_000 });
}
