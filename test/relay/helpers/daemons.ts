// Runs `mprelay local|remote --config FILE` as real processes (compiled, plain node), the way a person or the
// lab does, and reads their 'ready' log line, their RSS and their open fds.
import { execa, type ResultPromise } from 'execa';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { cpuSecondsOf } from '../../../lab/engines/proc.ts';

/** The compiled CLI (`npm run build`, which `npm test` runs first), with plain node as deployed. */
export const CLI = path.resolve('relay/dist/cli.js');

export interface Daemon {
  pid: number;
  port: number;
  metricsPort: number | undefined;
  lines: Array<Record<string, unknown>>;
  rssKb(): number;
  openFds(): number;
  /** user + system CPU time in clock ticks (1/100 s). */
  cpuSeconds(): number;
  /** SIGTERM (if still running); resolves with the exit code once it has exited. */
  stop(): Promise<number | undefined>;
}

export async function startDaemon(side: 'local' | 'remote', config: unknown, dir: string): Promise<Daemon> {
  const file = path.join(dir, `${side}.yaml`);
  await writeFile(file, stringify(config));
  const child: ResultPromise = execa(process.execPath, [CLI, side, '--config', file], { reject: false, buffer: false, stderr: 'inherit' });
  const lines: Array<Record<string, unknown>> = [];
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let rest = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      rest += chunk.toString();
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) {
        const line = JSON.parse(part) as Record<string, unknown>;
        lines.push(line);
        if (line.msg === 'ready') resolve(line);
      }
    });
    void child.then((result) => reject(new Error(`${side} exited before ready: ${String(result.exitCode)}`)));
    setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${side} not ready within 20 s`));
    }, 20_000).unref();
  });
  const pid = child.pid ?? -1;
  return {
    pid,
    port: ready.port as number,
    metricsPort: ready.metricsPort as number | undefined,
    lines,
    rssKb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]),
    openFds: () => readdirSync(`/proc/${pid}/fd`).length,
    cpuSeconds: () => cpuSecondsOf(pid) ?? 0,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return (await child).exitCode;
    },
  };
}
