// Starts a real remote and local in this process with test configs built through the
// same zod schemas as the config files (so defaults and validation are the real ones).
import { randomBytes } from 'node:crypto';
import { localConfigSchema, remoteConfigSchema, type LocalConfigInput, type RemoteConfigInput } from '../../../relay/config.ts';
import { LocalRelay } from '../../../relay/local.ts';
import { createLogger, type LogSink } from '../../../relay/log.ts';
import { RelayMetrics } from '../../../relay/metrics.ts';
import { RemoteRelay } from '../../../relay/remote.ts';

/**
 * What a pipe may hold unsent beyond its notSentLowatBytes: the kernel checks the bound
 * before each buffer it fills (up to 64 KiB), and Node's write queue takes a whole
 * 64 KiB read before it says stop (at 16 KiB).
 */
export const PIPE_OVERSHOOT_BYTES = 64 * 1024 + 80 * 1024;

export const testSecret = randomBytes(32).toString('base64');

/** Log lines kept in memory, so tests can check what was logged. */
export class MemoryLog implements LogSink {
  readonly lines: Array<Record<string, unknown>> = [];
  write(line: string): void {
    this.lines.push(JSON.parse(line) as Record<string, unknown>);
  }
}

export async function startRemote(overrides: Partial<RemoteConfigInput> = {}, ownAddresses?: () => readonly string[]) {
  const config = remoteConfigSchema.parse({ listen: { address: '127.0.0.1', port: 0 }, keys: [{ id: 1, secret: testSecret }], ...overrides });
  const logs = new MemoryLog();
  const metrics = new RelayMetrics('remote', false);
  const relay = new RemoteRelay({ config, log: createLogger({ level: 'debug', sink: logs }), metrics, ...(ownAddresses ? { ownAddresses } : {}) });
  const address = await relay.start();
  return { relay, address, metrics, logs, config };
}

export async function startLocal(remotePort: number, overrides: Partial<LocalConfigInput> = {}) {
  const config = localConfigSchema.parse({
    listen: { address: '::', port: 0 },
    remote: { address: '127.0.0.1', port: remotePort },
    key: { id: 1, secret: testSecret },
    ...overrides,
  });
  const logs = new MemoryLog();
  const metrics = new RelayMetrics('local', false);
  const relay = new LocalRelay({ config, log: createLogger({ level: 'debug', sink: logs }), metrics });
  const address = await relay.start();
  return { relay, address, metrics, logs, config };
}

/** The value of a counter or gauge, summed over the label sets that match. */
export async function metricValue(metrics: RelayMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
