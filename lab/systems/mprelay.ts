// This project's relay in the lab: `mprelay remote` on gw-remote's public address and
// `mprelay local` on gw-local, started with the same CLI and config files a person would
// use, fed by the `mprelay rules --dns` nftables output for the LAN interface (the LAN's
// DNS goes to the local's forwarder, as a home with mprelay has it). Configs, the key
// and logs go to the run's log directory.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { nftRules, tproxyRouting } from '../../relay/rules.ts';
import { baseRttMs, type LinkModel } from '../links/model.ts';
import { ipIn, nsRun } from '../topology/netns.ts';
import { ADDR, DEV, LAB_DNS, type Topology } from '../topology/types.ts';
import { assemble, NO_WRAP, type Part } from './assemble.ts';
import { listeningBy, startDaemon } from './daemon.ts';
import { SystemStartError, type SystemAdapter } from './system.ts';

export const MPRELAY_REMOTE_PORT = 8443;
export const MPRELAY_LOCAL_PORT = 12400;
/** The local's metrics, inside gw-local only (127.0.0.1 there). */
export const MPRELAY_LOCAL_METRICS_PORT = 9465;
export const MPRELAY_TABLE = 'mplab_mprelay';
/**
 * The local's DNS forwarder: on the LAN address and an unprivileged port (as in
 * relay/examples/local.yaml: the shipped unit has no CAP_NET_BIND_SERVICE), where
 * `mprelay rules --dns` redirects the LAN's DNS; UDP goes to the home's resolver.
 */
export const MPRELAY_DNS = { listen: { address: ADDR.gwLocalLan, port: 5300 }, resolver: { address: LAB_DNS.resolver, port: 53 } };
export const MPRELAY_POOL = { min: 4, max: 32, idleTimeoutMs: 60_000, rateWindowMs: 10_000, horizonMs: 2_000 };

/** The compiled relay (`npm run build`), run with plain node as a gateway runs it: no tsx, one process. */
export const MPRELAY_CLI = path.resolve(import.meta.dirname, '../../relay/dist/cli.js');
const POOL_WARM_TIMEOUT_MS = 15_000;

/** How to start `mprelay`: by default this checkout's compiled CLI; a test passes an installed `bin/mprelay`. */
export interface MprelayLauncher {
  command: string;
  args: readonly string[];
}

export const CHECKOUT_LAUNCHER: MprelayLauncher = { command: process.execPath, args: [MPRELAY_CLI] };

function mprelayCommand(launcher: MprelayLauncher, side: 'local' | 'remote', configFile: string) {
  return { command: launcher.command, args: [...launcher.args, side, '--config', configFile] };
}

/** The local's WAN links, as its config names them (probes and new connections leave from these addresses). */
export const MPRELAY_LINKS = [
  { name: 'a', address: ADDR.gwLocalLinkA },
  { name: 'b', address: ADDR.gwLocalLinkB },
];

/** gw-local's MPTCP path manager: the relay's own (`userspace`) or the kernel's. */
type PathManager = 'kernel' | 'userspace';

/** Below this, a subflow's buffer would bind a connection's start-up on short links. */
const MIN_SUBFLOW_SEND_BUFFER_BYTES = 256 * 1024;

/**
 * doctor's `--subflow-send-buffer` as a person who knows their links would give it: twice
 * the largest bandwidth-delay product of any link and direction, its queue included (what
 * one subflow's window may need), at least MIN_SUBFLOW_SEND_BUFFER_BYTES.
 */
export function subflowSendBufferBytes(links: readonly LinkModel[]): number {
  const bdpBytes = links.flatMap((link) => [link.down, link.up].map((d) => (d.rateBitsPerSec / 8) * ((baseRttMs(link) + d.jitterMs * 2) / 1000) + d.queueBytes));
  return Math.max(MIN_SUBFLOW_SEND_BUFFER_BYTES, Math.ceil(2 * Math.max(...bdpBytes)));
}

/**
 * `mprelay doctor --fix` in both gateways, as a person deploying it runs it: the host
 * settings mprelay needs (the path manager its config names, a subflow endpoint per link
 * for the kernel's, stale_loss_cnt, the subflows' send buffer ceiling from the links,
 * blackhole detection off on the local). Its output goes
 * to the log; checks it cannot fix in a namespace (open files of a shell, TCP_USER_TIMEOUT
 * on this kernel) stay reported there. gw-local gets the kernel's path manager back on stop.
 */
async function doctorFix(topology: Topology, logDir: string, launcher: MprelayLauncher, pathManager: PathManager): Promise<Part> {
  const sendBuffer = ['--subflow-send-buffer', String(subflowSendBufferBytes(Object.values(topology.links).map((link) => link.model)))];
  const sides = [
    { ns: topology.ns.gwLocal, args: ['--role', 'local', '--wan-if', DEV.linkA, '--wan-if', DEV.linkB, '--path-manager', pathManager, ...sendBuffer], log: 'mprelay-doctor-local.log' },
    { ns: topology.ns.gwRemote, args: ['--role', 'remote', ...sendBuffer], log: 'mprelay-doctor-remote.log' },
  ];
  for (const side of sides) {
    const result = await nsRun(side.ns, launcher.command, [...launcher.args, 'doctor', '--fix', ...side.args], { reject: false });
    await writeFile(path.resolve(logDir, side.log), `${result.stdout}\n${result.stderr}`);
    // 1 is "something still not ok" (reported in the log); anything else is doctor itself failing.
    if (result.exitCode !== 0 && result.exitCode !== 1) throw new SystemStartError('mprelay', `mprelay doctor --fix failed (exit ${result.exitCode})`, String(result.stderr));
  }
  return { stop: async () => void (await nsRun(topology.ns.gwLocal, 'sysctl', ['-qw', 'net.mptcp.path_manager=kernel'], { reject: false })) };
}

/** Sums one metric from the local's endpoint inside gw-local over the series whose labels include `labels`. */
export async function localMetric(topology: Topology, name: string, labels: Record<string, string> = {}): Promise<number> {
  const { stdout } = await nsRun(topology.ns.gwLocal, 'curl', ['-sS', '--max-time', '2', `http://127.0.0.1:${MPRELAY_LOCAL_METRICS_PORT}/metrics`]);
  let sum = 0;
  for (const match of String(stdout).matchAll(/^(\w+)(?:\{([^}]*)\})? (\S+)$/gm)) {
    const series = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (match[1] === name && Object.entries(labels).every(([k, v]) => series[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

type Interception = 'redirect' | 'tproxy';

/** `mprelay rules` for the LAN, applied in gw-local (with TPROXY's policy routing when used). */
async function applyRules(topology: Topology, logDir: string, interception: Interception): Promise<Part> {
  const ns = topology.ns.gwLocal;
  const file = path.resolve(logDir, 'mprelay-rules.nft');
  await writeFile(file, nftRules({ lanInterface: DEV.lan, remoteAddress: ADDR.gwRemotePublic, port: MPRELAY_LOCAL_PORT, table: MPRELAY_TABLE, interception, dnsPort: MPRELAY_DNS.listen.port }));
  await nsRun(ns, 'nft', ['-f', file]);
  // The lab's namespaces are IPv4 only (IPv6 is off in them).
  const routing = interception === 'tproxy' ? tproxyRouting(['-4']) : [];
  for (const argv of routing) await ipIn(ns, argv);
  return {
    stop: async () => {
      await nsRun(ns, 'nft', ['delete', 'table', 'inet', MPRELAY_TABLE], { reject: false });
      // Undo the routing: the same commands with `del` for `add`.
      for (const argv of routing) await ipIn(ns, argv.map((word) => (word === 'add' ? 'del' : word))).catch(() => undefined);
    },
  };
}

/**
 * The ablations: mprelay with one of its failover parts taken away, to measure what each
 * adds. `no-monitor`: no links in the local's config (no probes, no endpoint taken off a
 * dead link, new connections where routing says). `kernel-defaults`: the settings doctor
 * tunes for failover (net.mptcp.stale_loss_cnt, net.ipv4.tcp_wmem's ceiling) back at the
 * kernel's defaults in both gateways.
 * And a variant, `paths`: the relay as the path manager of its own connections
 * (paths.manager: userspace), where the others leave it to the kernel's.
 */
export type MprelayVariant = 'no-monitor' | 'kernel-defaults' | 'paths';

/** What doctor --fix tunes for failover, put back to the kernel's defaults by the `kernel-defaults` ablation. */
const FAILOVER_SYSCTLS = ['net.mptcp.stale_loss_cnt', 'net.ipv4.tcp_wmem'];

async function doctorFixKernelDefaults(topology: Topology, logDir: string, launcher: MprelayLauncher, pathManager: PathManager): Promise<Part> {
  // A fresh network namespace has the kernel's defaults.
  const defaults = String((await execa('unshare', ['--net', 'sysctl', ...FAILOVER_SYSCTLS])).stdout).trim().split('\n').map((line) => line.replace(/\s*=\s*/, '=').replace(/\t/g, ' '));
  const fixed = await doctorFix(topology, logDir, launcher, pathManager);
  for (const ns of [topology.ns.gwLocal, topology.ns.gwRemote]) for (const setting of defaults) await nsRun(ns, 'sysctl', ['-qw', setting]);
  return fixed;
}

/** mprelay intercepting the client's TCP with nftables REDIRECT (the default) or TPROXY; or one of its ablations. */
export function mprelaySystem(interception: Interception, launcher: MprelayLauncher = CHECKOUT_LAUNCHER, ablation?: MprelayVariant): SystemAdapter {
  const name = ablation ? (`mprelay-${ablation}` as const) : 'mprelay';
  return {
  name,
  description: {
    none: 'mprelay: one MPTCP connection per client connection from a warm, joined pool; destination sent with the first bytes',
    'no-monitor': 'mprelay without its link health monitor (ablation): no probes, no endpoint taken off a dead link',
    'kernel-defaults': "mprelay with the kernel's defaults for what doctor tunes for failover (ablation): stale_loss_cnt and the subflows' send buffer ceiling as the kernel has them",
    paths: 'mprelay as the path manager of its own connections: other links joined as backups, sending only for bulk transfers that gain from them',
  }[ablation ?? 'none'],
  needs: { debianPackages: ['nftables', 'curl'], commands: ['nft', 'curl'] },
  start: (topology, logDir) =>
    assemble(name, logDir, async (parts) => {
      if (launcher === CHECKOUT_LAUNCHER && !existsSync(MPRELAY_CLI)) throw new SystemStartError(name, `${MPRELAY_CLI} is missing: run \`npm run build\``, '');
      const manager: PathManager = ablation === 'paths' ? 'userspace' : 'kernel';
      parts.add(await (ablation === 'kernel-defaults' ? doctorFixKernelDefaults : doctorFix)(topology, logDir, launcher, manager));
      const secret = randomBytes(32).toString('base64');
      const remoteConfig = path.resolve(logDir, 'mprelay-remote.yaml');
      const localConfig = path.resolve(logDir, 'mprelay-local.yaml');
      await writeFile(
        remoteConfig,
        stringify({ listen: { address: ADDR.gwRemotePublic, port: MPRELAY_REMOTE_PORT }, keys: [{ id: 1, secret }], log: { level: 'info' } }),
        { mode: 0o600 },
      );
      await writeFile(
        localConfig,
        stringify({
          listen: { address: ADDR.gwLocalLan, port: MPRELAY_LOCAL_PORT },
          interception,
          remote: { address: ADDR.gwRemotePublic, port: MPRELAY_REMOTE_PORT },
          key: { id: 1, secret },
          pool: MPRELAY_POOL,
          ...(ablation === 'no-monitor' ? {} : { links: MPRELAY_LINKS }),
          paths: { manager },
          dns: MPRELAY_DNS,
          metrics: { address: '127.0.0.1', port: MPRELAY_LOCAL_METRICS_PORT },
          log: { level: 'info' },
        }),
        { mode: 0o600 },
      );
      parts.add(
        await startDaemon({
          system: name,
          label: 'mprelay remote',
          ns: topology.ns.gwRemote,
          ...mprelayCommand(launcher, 'remote', remoteConfig),
          logFile: path.resolve(logDir, 'mprelay-remote.log'),
          healthy: listeningBy(topology.ns.gwRemote, ADDR.gwRemotePublic, MPRELAY_REMOTE_PORT),
        }),
      );
      const listening = listeningBy(topology.ns.gwLocal, ADDR.gwLocalLan, MPRELAY_LOCAL_PORT);
      parts.add(
        await startDaemon({
          system: name,
          label: 'mprelay local',
          ns: topology.ns.gwLocal,
          ...mprelayCommand(launcher, 'local', localConfig),
          logFile: path.resolve(logDir, 'mprelay-local.log'),
          // Healthy once it listens and its pool is warm: the first measured connection must not pay for the fill.
          healthy: async (pid) => (await listening(pid)) && (await localMetric(topology, 'mprelay_pool_idle')) >= MPRELAY_POOL.min,
          startTimeoutMs: POOL_WARM_TIMEOUT_MS,
        }),
      );
      parts.add(await applyRules(topology, logDir, interception));
      return NO_WRAP;
    }),
  };
}

export const mprelay = mprelaySystem('redirect');
export const mprelayNoMonitor = mprelaySystem('redirect', CHECKOUT_LAUNCHER, 'no-monitor');
export const mprelayKernelDefaults = mprelaySystem('redirect', CHECKOUT_LAUNCHER, 'kernel-defaults');
export const mprelayPaths = mprelaySystem('redirect', CHECKOUT_LAUNCHER, 'paths');
