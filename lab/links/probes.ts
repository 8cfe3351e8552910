// Drives the probe program (probe.ts): a reflector in the remote namespace and a
// prober in the local one, both bound to the link's own addresses so probes cross
// exactly this link.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { nsSpawn } from '../topology/netns.ts';
import type { ProbeReply, ProbeRunCommand, ReflectedProbe } from './probe-protocol.ts';

const PROBE_PROGRAM = fileURLToPath(new URL('./probe.ts', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');
const REFLECTOR_PORT = 47_001;
const START_TIMEOUT_MS = 10_000;
const PROBE_NICE = -10;

export interface ProbeEndpoints {
  nsLocal: string;
  nsRemote: string;
  localAddr: string;
  remoteAddr: string;
}

export type ProbeRun = Extract<ProbeReply, { event: 'result' }>;

export interface ProbeSession {
  /** Sends one phase of probes and returns what was sent and what came back. */
  run(plan: Omit<ProbeRunCommand, 'cmd' | 'phase'>): Promise<ProbeRun>;
  /** Everything the reflector received since the last call, per phase. */
  arrivals(): Promise<ReflectedProbe[]>;
  close(): Promise<void>;
}

interface ProbeProcess {
  next(): Promise<ProbeReply>;
  send(line: string): void;
  stop(): Promise<void>;
}

function startProbeProcess(ns: string, args: string[], label: string): ProbeProcess {
  // Raised priority: a probe scheduled late on a busy machine stamps times late. `nice` execs,
  // so the pid is still the probe's own.
  const child = nsSpawn(ns, 'nice', ['-n', String(PROBE_NICE), process.execPath, '--import', TSX_LOADER, PROBE_PROGRAM, ...args], {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const replies: ProbeReply[] = [];
  const waiters: { resolve: (reply: ProbeReply) => void; reject: (error: Error) => void }[] = [];
  let ended: Error | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const reply = JSON.parse(line) as ProbeReply;
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(reply);
    else replies.push(reply);
  });
  const done = child.then((result) => {
    ended = new Error(`${label} exited (${result.signal ?? `code ${result.exitCode}`}): ${stderr.trim()}`);
    for (const waiter of waiters.splice(0)) waiter.reject(ended);
  });
  return {
    next() {
      const queued = replies.shift();
      if (queued) return Promise.resolve(queued);
      if (ended) return Promise.reject(ended);
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    send(line) {
      child.stdin!.write(`${line}\n`);
    },
    async stop() {
      child.stdin!.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await done;
      clearTimeout(killer);
    },
  };
}

async function expectReady(probe: ProbeProcess, label: string): Promise<void> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`${label}: not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS).unref(),
  );
  const reply = await Promise.race([probe.next(), timeout]);
  if (reply.event !== 'ready') throw new Error(`${label}: unexpected ${JSON.stringify(reply)}`);
}

export async function startProbes(endpoints: ProbeEndpoints): Promise<ProbeSession> {
  const reflector = startProbeProcess(endpoints.nsRemote, ['reflector', endpoints.remoteAddr, String(REFLECTOR_PORT)], `probe reflector in ${endpoints.nsRemote}`);
  const prober = startProbeProcess(
    endpoints.nsLocal,
    ['prober', endpoints.localAddr, endpoints.remoteAddr, String(REFLECTOR_PORT)],
    `prober in ${endpoints.nsLocal}`,
  );
  const close = async () => {
    await Promise.all([reflector.stop(), prober.stop()]);
  };
  try {
    await Promise.all([expectReady(reflector, 'probe reflector'), expectReady(prober, 'prober')]);
  } catch (error) {
    await close();
    throw error;
  }

  let phase = 0;
  return {
    async run(plan) {
      const command: ProbeRunCommand = { cmd: 'run', phase: ++phase, ...plan };
      prober.send(JSON.stringify(command));
      const reply = await prober.next();
      if (reply.event !== 'result' || reply.phase !== command.phase) throw new Error(`prober: unexpected ${reply.event}`);
      return reply;
    },
    async arrivals() {
      reflector.send('dump');
      const reply = await reflector.next();
      if (reply.event !== 'arrivals') throw new Error(`probe reflector: unexpected ${reply.event}`);
      return reply.arrivals;
    },
    close,
  };
}
