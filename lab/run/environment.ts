// What a run's numbers depend on besides the code: kernel, CPU, congestion control,
// the TCP/MPTCP sysctls inside each namespace, the link backend, the version of every
// program used, and the git revision. Recorded in results.json next to the samples.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { currentEngine } from '../engines/run-engine.ts';
import type { Environment } from '../report/results.ts';
import type { SystemAdapter } from '../systems/system.ts';
import { nsRun } from '../topology/netns.ts';
import type { Namespaces, Topology } from '../topology/types.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

export const RECORDED_SYSCTLS = [
  'net.ipv4.tcp_congestion_control',
  'net.core.default_qdisc',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
  'net.core.rmem_max',
  'net.core.wmem_max',
  'net.ipv4.tcp_fastopen',
  'net.ipv4.tcp_ecn',
  'net.ipv4.tcp_sack',
  'net.ipv4.tcp_timestamps',
  'net.ipv4.tcp_slow_start_after_idle',
  'net.ipv4.tcp_notsent_lowat',
  'net.ipv4.tcp_no_metrics_save',
  'net.mptcp.enabled',
  'net.mptcp.scheduler',
  'net.mptcp.pm_type',
  'net.mptcp.checksum_enabled',
  'net.mptcp.allow_join_initial_addr_port',
  'net.mptcp.stale_loss_cnt',
];

/** Packages every run uses whatever the systems: namespaces, rules, MPTCP for programs. */
const BASE_PACKAGES = ['iproute2', 'nftables', 'mptcpize'];

async function sysctlsIn(ns: string): Promise<Record<string, string>> {
  // -e: a key this kernel lacks is skipped, not an error.
  const { stdout } = await nsRun(ns, 'sysctl', ['-e', ...RECORDED_SYSCTLS], { reject: false });
  const values: Record<string, string> = {};
  for (const line of String(stdout).split('\n')) {
    const match = /^(\S+)\s*=\s*(.*)$/.exec(line);
    if (match) values[match[1]!] = match[2]!.replace(/\s+/g, ' ');
  }
  return values;
}

async function debianVersions(packages: readonly string[]): Promise<Record<string, string>> {
  const { stdout } = await execa('dpkg-query', ['-W', '-f', '${Package} ${Version}\\n', ...packages], { reject: false });
  const versions: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const [name, version] = line.split(' ');
    if (name && version) versions[name] = version;
  }
  for (const name of packages) versions[name] ??= 'not installed';
  return versions;
}

export async function gitState(): Promise<Environment['git']> {
  const revision = await execa('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, reject: false });
  const status = await execa('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, reject: false });
  return { revision: revision.exitCode === 0 ? revision.stdout.trim() : 'unknown', dirty: status.stdout.trim().length > 0 };
}

export async function captureEnvironment(topology: Topology, systems: readonly SystemAdapter[]): Promise<Environment> {
  const packageJson = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  const packages = [...new Set([...BASE_PACKAGES, ...systems.flatMap((s) => s.needs.debianPackages)])].sort();
  const sysctls: Record<string, Record<string, string>> = {};
  for (const role of Object.keys(topology.ns) as (keyof Namespaces)[]) sysctls[role] = await sysctlsIn(topology.ns[role]);
  const cpus = os.cpus();
  const engine = currentEngine();
  return {
    hostname: os.hostname(),
    kernel: `${os.release()} ${os.version()}`,
    cpus: { count: cpus.length, model: cpus[0]?.model ?? 'unknown' },
    node: process.version,
    congestionControl: sysctls.client?.['net.ipv4.tcp_congestion_control'] ?? topology.congestionControl,
    sysctls,
    linkBackend: topology.links.a.backend,
    programs: { node: process.version, [packageJson.name]: packageJson.version, ...(await debianVersions(packages)) },
    // In a container the tree has no .git: the engine side says what it was built from.
    git: engine.kind === 'docker' ? engine.git : await gitState(),
    engine,
  };
}
