// One way to run a daemon for a system under test: start it in a namespace in the
// foreground with its output in a log file, wait until a health check passes, fail
// with a SystemStartError carrying the log tail (and nothing left running) otherwise,
// and stop it by pid together with every process it forked.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { logTail } from '../engines/proc.ts';
import { nsRun, nsSpawn } from '../topology/netns.ts';
import { SystemStartError, type SystemName } from './system.ts';

export interface DaemonSpec {
  /** The system this daemon belongs to, named in errors. */
  system: SystemName;
  /** Short name of the program, e.g. 'redsocks'. */
  label: string;
  ns: string;
  /** Command prefix such as ['mptcpize', 'run'] (it execs, so the pid stays the daemon's). */
  wrap?: readonly string[];
  command: string;
  args: readonly string[];
  env?: Record<string, string>;
  /** stdout and stderr are appended here; the program must run in the foreground. */
  logFile: string;
  /** Resolves true once the daemon (whose pid it is given) serves; polled until startTimeoutMs. */
  healthy: (pid: number) => Promise<boolean>;
  startTimeoutMs?: number;
}

export interface Daemon {
  readonly label: string;
  readonly pid: number;
  readonly logFiles: string[];
  /** True while the daemon's own process has not exited. */
  running(): boolean;
  /** SIGTERM to the daemon and its descendants, SIGKILL to what remains; safe to call twice. */
  stop(): Promise<void>;
}

const POLL_INTERVAL_MS = 100;
const STOP_GRACE_MS = 3_000;
const DEFAULT_START_TIMEOUT_MS = 15_000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = POLL_INTERVAL_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** The pid and all its descendants (children first seen via /proc's ppid links). */
export async function processTree(rootPid: number): Promise<number[]> {
  const parentOf = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The command name may contain spaces and parentheses: fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[1]) parentOf.set(Number(entry), Number(fields[1]));
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/** Something in `ns` listens on TCP `ip`:`port` (MPTCP listeners show up here too). */
export async function tcpListening(ns: string, ip: string, port: number): Promise<boolean> {
  const { stdout } = await nsRun(ns, 'ss', ['-Hltn', 'src', `${ip}:${port}`]);
  return String(stdout).trim().length > 0;
}

/**
 * Health check: the daemon itself (or a process it forked) listens on TCP `ip`:`port`,
 * not some other program that happens to hold the port.
 */
export function listeningBy(ns: string, ip: string, port: number): (pid: number) => Promise<boolean> {
  return async (pid) => {
    const { stdout } = await nsRun(ns, 'ss', ['-Hltnp', 'src', `${ip}:${port}`]);
    const owners = [...String(stdout).matchAll(/pid=(\d+)/g)].map((match) => Number(match[1]));
    if (owners.length === 0) return false;
    const tree = await processTree(pid);
    return owners.some((owner) => tree.includes(owner));
  };
}

/** Alive and not a zombie (a zombie whose parent is gone may never be reaped here). */
async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

export async function startDaemon(spec: DaemonSpec): Promise<Daemon> {
  const [file, ...args] = [...(spec.wrap ?? []), spec.command, ...spec.args] as [string, ...string[]];
  // The log file itself is the daemon's stdout and stderr (not a pipe through this
  // process), so the daemon can reopen /dev/stderr and outlives a slow reader.
  const log = createWriteStream(spec.logFile, { flags: 'a' });
  await once(log, 'open');
  const child = nsSpawn(spec.ns, file, args, { stdin: 'ignore', stdout: log, stderr: log, env: spec.env });
  log.close();
  const logFiles = [spec.logFile];
  let exited = false;
  let exitDescription = '';
  const exitPromise = child.then((result) => {
    exited = true;
    exitDescription = result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`;
  });
  const pid = child.pid;
  if (pid === undefined) {
    await exitPromise;
    throw new SystemStartError(spec.system, `${spec.label} could not be spawned`, await logTail(logFiles));
  }

  let stopping: Promise<void> | undefined;
  const daemon: Daemon = {
    label: spec.label,
    pid,
    logFiles,
    running: () => !exited,
    stop() {
      stopping ??= (async () => {
        // Collect the tree first: once the parent dies its children are reparented.
        const tree = await processTree(pid);
        signal(tree, 'SIGTERM');
        const alive = async () => (await Promise.all(tree.map(async (p) => ((await isAlive(p)) ? [p] : [])))).flat();
        const gone = await waitUntil(async () => (await alive()).length === 0, STOP_GRACE_MS, 50);
        if (!gone) signal(await alive(), 'SIGKILL');
        await exitPromise;
      })();
      return stopping;
    },
  };

  // Stop polling as soon as the daemon exits: that is the failure to report.
  const startTimeoutMs = spec.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const healthy = await waitUntil(async () => exited || (await spec.healthy(pid)), startTimeoutMs);
  if (!healthy || exited) {
    const reason = exited ? `${spec.label} exited (${exitDescription})` : `${spec.label} not healthy within ${startTimeoutMs} ms`;
    await daemon.stop();
    throw new SystemStartError(spec.system, reason, await logTail(logFiles));
  }
  return daemon;
}
