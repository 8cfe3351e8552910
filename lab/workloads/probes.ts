// Starting the probe programs inside the topology, behind the system's command prefix
// (e.g. `mptcpize run` when the ends must speak MPTCP themselves).
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { logTail, startDaemon, tcpListening, type Daemon } from '../systems/daemon.ts';
import type { RunningSystem } from '../systems/system.ts';
import { nsSpawn } from '../topology/netns.ts';
import { ADDR, type Topology } from '../topology/types.ts';
import { cpuSecondsOf } from './probe/cpu.ts';
import type { ClientLine, ClientPlan, ClientResult } from './probe/plan.ts';
import { PROBE_PORT } from './probe/protocol.ts';

const TSX_LOADER = import.meta.resolve('tsx');
const probeScript = (name: string) => fileURLToPath(new URL(`./probe/${name}`, import.meta.url));
const nodeArgs = (script: string, args: readonly string[]) => ['--import', TSX_LOADER, probeScript(script), ...args];

export const PROBE_TARGET = { host: ADDR.server, port: PROBE_PORT };

export interface ServerProbe {
  readonly daemon: Daemon;
  /** CPU seconds used so far (for showing the probe is not the bottleneck). */
  cpuSeconds(): number | null;
}

export async function startServerProbe(topology: Topology, system: RunningSystem, logFile: string): Promise<ServerProbe> {
  const daemon = await startDaemon({
    system: system.name,
    label: 'server probe',
    ns: topology.ns.server,
    wrap: system.wrap.server,
    command: process.execPath,
    args: nodeArgs('server.ts', [PROBE_TARGET.host, String(PROBE_TARGET.port)]),
    logFile,
    healthy: () => tcpListening(topology.ns.server, PROBE_TARGET.host, PROBE_TARGET.port),
    startTimeoutMs: 10_000,
  });
  return { daemon, cpuSeconds: () => cpuSecondsOf(daemon.pid) };
}

export interface ClientRunOptions {
  logFile: string;
  /** Kills the probe if it has not finished by then. */
  timeoutMs: number;
  /** Called with the probe's reference time as soon as it starts measuring. */
  onStarted?: (refMs: number) => void;
}

/** Runs one client probe to completion and returns its result; throws if it failed. */
export async function runClientProbe(topology: Topology, system: RunningSystem, plan: ClientPlan, options: ClientRunOptions): Promise<ClientResult> {
  const [file, ...args] = [...system.wrap.client, process.execPath, ...nodeArgs('client.ts', [JSON.stringify(plan)])] as [string, ...string[]];
  const child = nsSpawn(topology.ns.client, file, args, {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: { file: options.logFile, append: true },
    timeout: options.timeoutMs,
    forceKillAfterDelay: 2_000,
  });
  let result: ClientResult | undefined;
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (text) => {
    const line = JSON.parse(text) as ClientLine;
    if (line.event === 'started') options.onStarted?.(line.refMs);
    else result = line.result;
  });
  const outcome = await child;
  if (outcome.timedOut) throw new Error(`client probe (${plan.mode}) did not finish within ${options.timeoutMs} ms`);
  if (outcome.exitCode !== 0 || !result) {
    const tail = await logTail([options.logFile]);
    throw new Error(`client probe (${plan.mode}) failed (${outcome.signal ?? `exit code ${outcome.exitCode}`})${tail ? `:\n${tail}` : ''}`);
  }
  return result;
}
