// Creating and deleting one namespace. Deleting first kills what still runs inside
// it, since a process left in a deleted namespace keeps its devices alive.
import { execa } from 'execa';
import { nsRun } from './netns.ts';

export async function createNamespace(ns: string, sysctls: Record<string, string>): Promise<void> {
  await execa('ip', ['netns', 'add', ns], { timeout: 10_000 });
  await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up'], { timeout: 10_000 });
  const args = Object.entries(sysctls).flatMap(([key, value]) => ['-w', `${key}=${value}`]);
  if (args.length > 0) await nsRun(ns, 'sysctl', ['-q', ...args]);
}

export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await execa('ip', ['netns', 'list'], { timeout: 10_000 });
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean);
}

async function pidsIn(ns: string): Promise<number[]> {
  const { stdout } = await execa('ip', ['netns', 'pids', ns], { timeout: 10_000, reject: false });
  return stdout.split('\n').filter(Boolean).map(Number);
}

export async function deleteNamespace(ns: string): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const pids = await pidsIn(ns);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, signal === 'SIGTERM' ? 300 : 100));
  }
  await execa('ip', ['netns', 'del', ns], { timeout: 10_000, reject: false });
}
