// Starting a system from parts (daemons, nftables rules) so that every adapter gets the
// same guarantees: a failure while starting stops what had started and surfaces as a
// SystemStartError naming the system with its log tail; stop() stops everything in
// reverse order and is safe to call twice.
import { mkdir } from 'node:fs/promises';
import { logTail } from '../engines/proc.ts';
import { SystemStartError, type RunningSystem, type SystemName } from './system.ts';

export interface Part {
  stop(): Promise<void>;
  readonly logFiles?: readonly string[];
}

export interface Parts {
  /** Registers a started part; returns it for convenience. */
  add<T extends Part>(part: T): T;
}

type Wrap = RunningSystem['wrap'];
export const NO_WRAP: Wrap = { client: [], server: [] };

async function stopInReverse(parts: readonly Part[]): Promise<void> {
  const errors: unknown[] = [];
  for (const part of [...parts].reverse()) await part.stop().catch((error: unknown) => errors.push(error));
  if (errors.length > 0) throw new AggregateError(errors, `stopping failed: ${errors.map(String).join('; ')}`);
}

/** Starts a system from parts into `logDir` (created if missing). */
export async function assemble(name: SystemName, logDir: string, build: (parts: Parts) => Promise<Wrap>): Promise<RunningSystem> {
  const started: Part[] = [];
  const logFiles = () => started.flatMap((part) => part.logFiles ?? []);
  let wrap: Wrap;
  try {
    await mkdir(logDir, { recursive: true });
    wrap = await build({
      add(part) {
        started.push(part);
        return part;
      },
    });
  } catch (error) {
    await stopInReverse(started).catch(() => undefined);
    if (error instanceof SystemStartError) throw error;
    throw new SystemStartError(name, error instanceof Error ? error.message : String(error), await logTail(logFiles()));
  }
  let stopping: Promise<void> | undefined;
  return {
    name,
    wrap,
    logFiles: logFiles(),
    stop() {
      stopping ??= stopInReverse(started);
      return stopping;
    },
  };
}
