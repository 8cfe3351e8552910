// keyscan: an SSH key exchange as a real program makes it: OpenSSH's ssh-keyscan in the
// client namespace against sshd in the server namespace (both under the system's wrap),
// one at a time. Server speaks first, then a few small messages each way: the
// interactive bytes that must not wait behind a slow path's round trip. Each scan is
// timed from starting the program to its exit, so the time includes starting it:
// keyscan_start_ms measures that alone (a scan refused at once on the client's own
// loopback), the same for every system.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Scenario } from '../scenario/schema.ts';
import { startSshd, writeSshFiles, SSH_PORT } from '../systems/ssh.ts';
import { nsRun } from '../topology/netns.ts';
import { ADDR } from '../topology/types.ts';
import { latencySample, successSample } from './attempts.ts';
import { metric } from './metrics.ts';
import type { MetricSample, Workload } from './workload.ts';

/** Scans of the program's start alone, per run. */
const START_SCANS = 3;
/** A port nothing listens on: the scan is refused at once. */
const CLOSED_PORT = 1;

function params(scenario: Scenario) {
  const keyscan = scenario.workloads.keyscan;
  if (!keyscan) throw new Error('workloads.keyscan is not set in the scenario');
  return keyscan;
}

interface Scan {
  ms: number;
  ok: boolean;
  error: string | null;
}

/** One ssh-keyscan for the server's ed25519 key, timed from start to exit. */
async function scan(ns: string, wrap: readonly string[], host: string, port: number, timeoutMs: number): Promise<Scan> {
  const [file, ...args] = [...wrap, 'ssh-keyscan', '-T', String(Math.ceil(timeoutMs / 1000)), '-t', 'ed25519', '-p', String(port), host];
  const startMs = performance.now();
  const result = await nsRun(ns, file!, args, { reject: false, timeout: timeoutMs + 5_000 });
  const ms = performance.now() - startMs;
  const ok = result.exitCode === 0 && String(result.stdout).includes('ssh-ed25519');
  return { ms, ok, error: ok ? null : `exit ${result.exitCode ?? 'none'}: ${String(result.stderr).trim().split('\n').at(-1) || 'no key in the answer'}` };
}

export const keyscanWorkload: Workload = {
  name: 'keyscan',
  validate: (scenario) => void params(scenario),
  plannedMs: (scenario) => 1_500 + params(scenario).scans * 1_000,
  async run(context) {
    const { scans, timeout } = params(context.scenario);
    const { topology, system } = context;
    const dir = path.join(topology.runDir, 'keyscan', system.name);
    await mkdir(dir, { recursive: true });
    const sshd = await startSshd({
      system: system.name,
      ns: topology.ns.server,
      files: await writeSshFiles(dir, ADDR.server),
      listenIp: ADDR.server,
      logFile: path.join(dir, 'sshd.log'),
      wrap: system.wrap.server,
    });
    const samples: MetricSample[] = [];
    const errors: string[] = [];
    try {
      for (let i = 0; i < START_SCANS; i++) {
        const refused = await scan(topology.ns.client, [], '127.0.0.1', CLOSED_PORT, timeout);
        samples.push({ metric: metric('keyscan_start_ms'), value: refused.ms, atMs: null });
      }
      for (let i = 0; i < scans; i++) {
        const result = await scan(topology.ns.client, system.wrap.client, ADDR.server, SSH_PORT, timeout);
        samples.push(latencySample(metric('keyscan_ms'), result.ok ? result.ms : null, timeout, null), successSample(metric('keyscan_success_ratio'), result.ok, null));
        if (result.error !== null) errors.push(`scan ${i + 1}: ${result.error}`);
      }
    } finally {
      await sshd.stop();
    }
    return { samples, timelines: [], errors, labErrors: [], probeCpu: { client: 0, server: 0 } };
  },
};
