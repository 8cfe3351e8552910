// The userspace link backend: one mpl-link process (lab/links/emulator.c) per link.
// It creates the link's TUN device in both namespaces and sets it up (MTU 1500);
// addresses and routes are the topology's job, as with the netem backend's veth.
import { randomInt } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { cpuSecondsOf, logTail } from '../engines/proc.ts';
import { LINK_DEV, type DirectionCounters, type LinkControl, type LinkCounters } from '../topology/types.ts';
import type { Direction, DirectionModel, LinkModel } from './model.ts';

export interface LinkStartOptions {
  model: LinkModel;
  /** gw-local's namespace: `up` leaves it. */
  nsLocal: string;
  /** gw-remote's namespace: `down` leaves it. */
  nsRemote: string;
  /** The emulator's stderr (and the command line it ran) go here. */
  logFile: string;
  /** Seeds loss and jitter; random (and logged) when absent. */
  seed?: number;
}

const EMULATOR_SOURCE = fileURLToPath(new URL('./emulator.c', import.meta.url));
const BUILD_SCRIPT = fileURLToPath(new URL('./build.mjs', import.meta.url));
export const EMULATOR_BINARY = fileURLToPath(new URL('../../build/mpl-link', import.meta.url));

const READY_TIMEOUT_MS = 5_000;
const REPLY_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 2_000;

/** Builds the emulator if `npm install` did not (or the source changed since). */
export async function ensureEmulatorBuilt(): Promise<string> {
  const stale = !existsSync(EMULATOR_BINARY) || statSync(EMULATOR_BINARY).mtimeMs < statSync(EMULATOR_SOURCE).mtimeMs;
  if (stale) await execa(process.execPath, [BUILD_SCRIPT], { timeout: 60_000 });
  return EMULATOR_BINARY;
}

/** The emulator's argv form of one direction (see the usage comment in emulator.c). */
export function directionSpec(model: DirectionModel): string {
  const burst = model.burstLoss;
  const fields: Record<string, number> = {
    rate: Math.round(model.rateBitsPerSec),
    delay_us: Math.round(model.delayMs * 1000),
    jitter_us: Math.round(model.jitterMs * 1000),
    loss: model.lossProbability,
    ge_enter: burst?.enterProbability ?? 0,
    ge_exit: burst?.exitProbability ?? 1,
    ge_loss: burst?.lossInBurst ?? 0,
    queue: Math.round(model.queueBytes),
  };
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

export function emulatorArgs(opts: Required<Pick<LinkStartOptions, 'model' | 'nsLocal' | 'nsRemote' | 'seed'>>): string[] {
  return [
    '--local', opts.nsLocal,
    '--remote', opts.nsRemote,
    '--dev', LINK_DEV[opts.model.name],
    '--seed', String(opts.seed),
    '--up', directionSpec(opts.model.up),
    '--down', directionSpec(opts.model.down),
  ];
}

interface EmulatorDirectionStats extends Omit<Required<DirectionCounters>, 'backlogBytes'> {
  writeErrors: number;
  arrivedPackets: number;
  /** Since the last packet arrived; -1 before the first. */
  idleUs: number;
  queuedBytes: number;
  inFlightBytes: number;
  rateBitsPerSec: number;
}

/** One line the emulator prints. */
type EmulatorLine =
  | { event: 'ready'; pid: number; dev: string; rtPriority: number }
  | { event: 'ack'; command: string; monotonicNs: number }
  | { event: 'stats'; monotonicNs: number; outage: boolean; up: EmulatorDirectionStats; down: EmulatorDirectionStats }
  | { event: 'error'; message: string };

function toCounters(stats: EmulatorDirectionStats): DirectionCounters {
  const { sentPackets, sentBytes, lossDrops, queueDrops, outageDrops, arrivedBytes, latenessP50Us, latenessP99Us, latenessMaxUs, appliedDelayMeanUs, appliedDelaySdUs, clampedPackets } = stats;
  return {
    sentPackets,
    sentBytes,
    lossDrops,
    queueDrops,
    outageDrops,
    arrivedBytes,
    backlogBytes: stats.queuedBytes + stats.inFlightBytes,
    latenessP50Us,
    latenessP99Us,
    latenessMaxUs,
    appliedDelayMeanUs,
    appliedDelaySdUs,
    clampedPackets,
  };
}

export async function startUserspaceLink(opts: LinkStartOptions): Promise<LinkControl> {
  const { model, logFile } = opts;
  const label = `link ${model.name} (${LINK_DEV[model.name]}, ${opts.nsLocal} <-> ${opts.nsRemote})`;
  const binary = await ensureEmulatorBuilt();
  const seed = opts.seed ?? randomInt(1, 2 ** 31);
  const args = emulatorArgs({ model, nsLocal: opts.nsLocal, nsRemote: opts.nsRemote, seed });
  await appendFile(logFile, `# ${binary} ${args.join(' ')}\n`);

  // Started in our own namespace: the emulator enters both namespaces itself.
  const child = execa(binary, args, {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: { file: logFile, append: true },
    buffer: false,
    reject: false,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${label}: could not start ${binary}`);

  // Every command gets exactly one reply line, in order.
  const pending: { resolve: (line: EmulatorLine) => void; reject: (error: Error) => void }[] = [];
  let exited: Error | undefined;
  let onReady: ((line: Extract<EmulatorLine, { event: 'ready' }>) => void) | undefined;
  let rtPriority = 0;

  const lines = createInterface({ input: child.stdout });
  lines.on('line', (text) => {
    let line: EmulatorLine;
    try {
      line = JSON.parse(text) as EmulatorLine;
    } catch {
      return; // not ours to interpret; stderr carries the diagnostics
    }
    if (line.event === 'ready') onReady?.(line);
    else pending.shift()?.resolve(line);
  });
  const exit = child.then(async (result) => {
    const tail = await logTail([logFile]);
    exited = new Error(`${label}: emulator exited (${result.signal ?? `code ${result.exitCode}`})${tail ? `\n--- log tail ---\n${tail}` : ''}`);
    for (const waiter of pending.splice(0)) waiter.reject(exited);
  });

  const ready = new Promise<void>(
    (resolve) =>
      (onReady = (line) => {
        rtPriority = line.rtPriority;
        resolve();
      }),
  );
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, READY_TIMEOUT_MS, 'timeout').unref());
  const started = await Promise.race([ready.then(() => 'ready' as const), exit.then(() => 'exited' as const), timeout]);
  if (started !== 'ready') {
    if (started === 'timeout') child.kill('SIGKILL');
    await exit;
    throw new Error(
      started === 'timeout' ? `${label}: emulator not ready after ${READY_TIMEOUT_MS} ms\n--- log tail ---\n${await logTail([logFile])}` : exited!.message,
    );
  }

  function command(text: string): Promise<EmulatorLine> {
    if (exited) return Promise.reject(exited);
    return new Promise<EmulatorLine>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label}: no reply to "${text}" within ${REPLY_TIMEOUT_MS} ms`)), REPLY_TIMEOUT_MS);
      pending.push({
        resolve: (line) => {
          clearTimeout(timer);
          if (line.event === 'error') reject(new Error(`${label}: "${text}": ${line.message}`));
          else resolve(line);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      child.stdin!.write(`${text}\n`);
    });
  }

  let stopping: Promise<void> | undefined;
  return {
    name: model.name,
    backend: 'userspace',
    model,
    async setOutage(down: boolean) {
      await command(down ? 'outage on' : 'outage off');
    },
    async setRate(direction: Direction, rateBitsPerSec: number) {
      await command(`rate ${direction} ${Math.round(rateBitsPerSec)}`);
    },
    async counters(): Promise<LinkCounters> {
      const line = await command('stats');
      if (line.event !== 'stats') throw new Error(`${label}: expected stats, got ${JSON.stringify(line)}`);
      const cpuSeconds = cpuSecondsOf(pid) ?? undefined;
      return { up: toCounters(line.up), down: toCounters(line.down), cpuSeconds, rtPriority };
    },
    stop() {
      return (stopping ??= (async () => {
        if (!exited) {
          // ChildProcess.kill signals our child's pid, and does not throw if it is already gone.
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exit;
          clearTimeout(killer);
        }
        lines.close();
      })());
    },
  };
}
