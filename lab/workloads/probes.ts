// Starting the probe programs inside the topology, behind the system's command prefix
// (e.g. `mptcpize run` when the ends must speak MPTCP themselves).
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startDaemon, tcpListening, type Daemon } from '../systems/daemon.ts';
import type { RunningSystem } from '../systems/system.ts';
import { nsSpawn } from '../topology/netns.ts';
import { ADDR, type Topology } from '../topology/types.ts';
import { cpuSecondsOf, logTail } from '../engines/proc.ts';
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

export interface ClientProbe {
  /** Runs one plan and returns its result; throws if it failed or timed out (a timed-out probe is killed). */
  run(plan: ClientPlan, options: ClientRunOptions): Promise<ClientResult>;
  running(): boolean;
  stop(): Promise<void>;
}

export interface ClientRunOptions {
  /** Kills the probe if the plan has not finished by then. */
  timeoutMs: number;
  /** Called with the probe's reference time as soon as it starts measuring. */
  onStarted?: (refMs: number) => void;
}

const CLIENT_READY_TIMEOUT_MS = 15_000;

/** Starts the client probe; it takes one plan at a time, for as long as it runs. */
export async function startClientProbe(topology: Topology, system: RunningSystem, logFile: string): Promise<ClientProbe> {
  const [file, ...args] = [...system.wrap.client, process.execPath, ...nodeArgs('client.ts', [])] as [string, ...string[]];
  const child = nsSpawn(topology.ns.client, file, args, {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: { file: logFile, append: true },
    forceKillAfterDelay: 2_000,
  });
  let listener: ((line: ClientLine) => void) | undefined;
  let exited = false;
  const exit = child.then((outcome) => {
    exited = true;
    return outcome;
  });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (text) => listener?.(JSON.parse(text) as ClientLine));

  const failure = async (what: string) => {
    const outcome = await exit;
    const tail = await logTail([logFile]);
    return new Error(`client probe ${what} (${outcome.signal ?? `exit code ${outcome.exitCode}`})${tail ? `:\n${tail}` : ''}`);
  };
  // Either the next line from the probe, or its exit, or the time limit.
  const next = <T>(timeoutMs: number, onLine: (line: ClientLine, done: (value: T) => void, fail: (error: Error) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`client probe did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        listener = undefined;
      };
      listener = (line) => onLine(line, (value) => (settle(), resolve(value)), (error) => (settle(), reject(error)));
      void exit.then(async () => {
        if (!listener) return;
        settle();
        reject(await failure('exited'));
      });
    });

  await next<void>(CLIENT_READY_TIMEOUT_MS, (line, done) => line.event === 'ready' && done());
  return {
    running: () => !exited,
    async run(plan, options) {
      if (exited) throw await failure('is not running');
      const result = next<ClientResult>(options.timeoutMs, (line, done, fail) => {
        if (line.event === 'started') options.onStarted?.(line.refMs);
        else if (line.event === 'result') done(line.result);
        else if (line.event === 'error') fail(new Error(`client probe (${plan.mode}): ${line.message}`));
      });
      child.stdin!.write(`${JSON.stringify(plan)}\n`);
      return result;
    },
    async stop() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exit;
      clearTimeout(timer);
      lines.close();
    },
  };
}

export interface Probes {
  server: ServerProbe;
  client: ClientProbe;
}

/**
 * The probes of a run, kept across blocks: starting node with tsx costs a second or
 * more on a busy 2-core machine, twice per block. Probes run behind the system's
 * command prefix (plain, or mptcpize), so a system with another prefix gets a new pair;
 * only one pair runs at a time, since both server probes would want the same port.
 * A pair that died (a timed-out plan kills its client) is replaced on the next request.
 */
export class ProbePool {
  private current: { key: string; probes: Probes } | undefined;
  private started = 0;
  constructor(
    private readonly topology: Topology,
    private readonly logDir: string,
  ) {}

  async for(system: RunningSystem): Promise<Probes> {
    const key = JSON.stringify(system.wrap);
    const current = this.current;
    if (current?.key === key && current.probes.client.running() && current.probes.server.daemon.running()) return current.probes;
    await this.stop();
    const n = ++this.started;
    const [server, client] = await Promise.allSettled([
      startServerProbe(this.topology, system, `${this.logDir}/server-probe-${n}.log`),
      startClientProbe(this.topology, system, `${this.logDir}/client-probe-${n}.log`),
    ]);
    if (server.status === 'rejected' || client.status === 'rejected') {
      if (client.status === 'fulfilled') await client.value.stop().catch(() => undefined);
      if (server.status === 'fulfilled') await server.value.daemon.stop().catch(() => undefined);
      throw server.status === 'rejected' ? server.reason : (client as PromiseRejectedResult).reason;
    }
    this.current = { key, probes: { server: server.value, client: client.value } };
    return this.current.probes;
  }

  async stop(): Promise<void> {
    if (this.current) await stopPair(this.current.probes);
    this.current = undefined;
  }
}

async function stopPair(pair: Probes): Promise<void> {
  await pair.client.stop().catch(() => undefined);
  await pair.server.daemon.stop().catch(() => undefined);
}
