// Which runs own which namespaces, so that a killed run's leftovers can be found
// (`mplab clean`) without touching a run that is still alive, and so that Ctrl-C
// tears down whatever this process built.
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';

const REGISTRY_DIR = '/run/mplab';
export const NS_PREFIX = 'mpl-';

export function namespaceName(runId: string, role: string): string {
  return `${NS_PREFIX}${runId}-${role}`;
}

/** The run id of a namespace name made by namespaceName, or undefined for other names. */
export function runIdOf(ns: string): string | undefined {
  return /^mpl-([a-z0-9]+)-/.exec(ns)?.[1];
}

/** The file that says which process owns a run. */
export function claimFile(runId: string): string {
  return `${REGISTRY_DIR}/${runId}.pid`;
}

export async function claimRun(runId: string): Promise<void> {
  await mkdir(REGISTRY_DIR, { recursive: true });
  await writeFile(claimFile(runId), `${process.pid}\n`);
}

export async function releaseRun(runId: string): Promise<void> {
  await rm(claimFile(runId), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Run ids whose owning process is alive: their namespaces must not be cleaned. */
export async function liveRunIds(): Promise<Set<string>> {
  const live = new Set<string>();
  const files = await readdir(REGISTRY_DIR).catch(() => [] as string[]);
  for (const file of files) {
    if (!file.endsWith('.pid')) continue;
    const pid = Number((await readFile(`${REGISTRY_DIR}/${file}`, 'utf8')).trim());
    const runId = file.slice(0, -'.pid'.length);
    if (pid !== process.pid && isAlive(pid)) live.add(runId);
    else if (pid !== process.pid) await rm(`${REGISTRY_DIR}/${file}`, { force: true });
  }
  return live;
}

type Teardown = () => Promise<void>;
const active = new Set<Teardown>();
let signalsInstalled = false;

/** Registers a teardown to run on SIGINT/SIGTERM; returns a function that unregisters it. */
export function onInterrupt(teardown: Teardown): () => void {
  active.add(teardown);
  if (!signalsInstalled) {
    signalsInstalled = true;
    let interrupted = false;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      // `on`, not `once`: tsx exits at once on a signal that has no other listener,
      // which would cut the teardown short. Repeated signals are ignored until it ends.
      process.on(signal, () => {
        if (interrupted) return;
        interrupted = true;
        process.stderr.write(`\nmplab: ${signal}: tearing down ${active.size} topology(ies)\n`);
        void Promise.allSettled([...active].map((fn) => fn())).then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
      });
    }
  }
  return () => active.delete(teardown);
}
