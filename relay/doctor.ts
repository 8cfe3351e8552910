// `mprelay doctor`: checks what the seed's notes tune on a gateway (MPTCP on, limits and
// endpoints, open files, port range, conntrack size, Fast Open), what failover needs
// (stale_loss_cnt, a subflow endpoint per WAN link, a ceiling on subflow send buffers
// when asked for one) and the kernel's traps (MPTCP
// blackhole detection, TCP_USER_TIMEOUT on MPTCP sockets), and says how to fix each;
// `--fix` runs the fixes that are commands, printing each with its reason.
// Readings are gathered in one place and judged by a pure function, which tests use.
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { userTimeoutOnMptcp } from './sockets.ts';
import { readSysctl } from './sysctl.ts';

export type Role = 'local' | 'remote';

export interface Readings {
  mptcpEnabled: number | undefined;
  /** `ip mptcp limits`: subflows and add_addr_accepted. */
  limits: { subflows: number; addAddrAccepted: number } | undefined;
  /** `ip mptcp endpoint`: device and flags of each endpoint. */
  endpoints: Array<{ address: string; dev?: string; flags: string[] }>;
  openFilesSoft: number | undefined;
  /** Whose limit openFilesSoft is. */
  openFilesOf?: string;
  portRange: [number, number] | undefined;
  /** undefined when conntrack is not loaded yet. */
  conntrackMax: number | undefined;
  tcpFastOpen: number | undefined;
  /** net.mptcp.stale_loss_cnt; undefined on kernels without it. */
  staleLossCnt?: number | undefined;
  /** net.mptcp.blackhole_timeout (6.12+); undefined on kernels without it. */
  blackholeTimeout?: number | undefined;
  /** Addresses on each interface (for the endpoints --fix adds). */
  interfaceAddresses?: Record<string, string[]>;
  /** Whether an MPTCP socket takes TCP_USER_TIMEOUT: undefined if it does, else the error. */
  userTimeoutRefused?: string | undefined;
  /** net.mptcp.path_manager (6.15+); undefined on kernels without it. */
  pathManager?: string | undefined;
  /** net.ipv4.tcp_wmem: min, default and max of a TCP socket's send buffer (MPTCP subflows included). */
  tcpWmem?: [number, number, number] | undefined;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
  /** Why the fix matters (printed by --fix). */
  why?: string;
  /** The fix as commands (argv), for --fix; absent when it is not a command (a unit file, a kernel). */
  apply?: string[][];
}

/** Failover wants a dead subflow marked stale (its data re-sent on the others) after this many retransmission timeouts at most. */
export const STALE_LOSS_CNT = 2;

export interface DoctorOptions {
  role: Role;
  /** WAN interfaces of the local gateway that must each carry a subflow endpoint (all but the default route's). */
  wanInterfaces: string[];
  /** Whether the config turns TCP Fast Open on (local `fastOpen`, remote `fastOpenQueue`). */
  fastOpen: boolean;
  /** The local config's `paths.manager` (default `kernel`). */
  pathManager?: 'kernel' | 'userspace';
  /** The most a subflow's send buffer may grow to (`--subflow-send-buffer`): about two bandwidth-delay products of the largest link, queue included; absent: not checked. */
  subflowSendBufferBytes?: number;
}

type Fix = { why?: string; apply?: string[][] };

export function judge(r: Readings, options: DoctorOptions): Check[] {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string, fix: string, more: Fix = {}) => checks.push(ok ? { name, ok, detail } : { name, ok, detail, fix, ...more });
  add('mptcp enabled', r.mptcpEnabled === 1, `net.mptcp.enabled = ${r.mptcpEnabled ?? 'absent (kernel without MPTCP?)'}`, 'sysctl -w net.mptcp.enabled=1 (and in /etc/sysctl.d/)', {
    why: 'the relay carries everything over MPTCP',
    apply: [['sysctl', '-w', 'net.mptcp.enabled=1']],
  });
  const wantSubflows = Math.max(1, options.wanInterfaces.length);
  const limit = Math.max(2, wantSubflows);
  add(
    'mptcp limits',
    // Both ends: the remote's limit also caps the joins it accepts.
    (r.limits?.subflows ?? 0) >= wantSubflows,
    r.limits ? `subflows ${r.limits.subflows}, add_addr_accepted ${r.limits.addAddrAccepted}` : 'unreadable',
    `ip mptcp limits set subflows ${limit} add_addr_accepted ${limit}`,
    { why: 'each connection needs a subflow per WAN link', apply: [['ip', 'mptcp', 'limits', 'set', 'subflows', String(limit), 'add_addr_accepted', String(limit)]] },
  );
  const pathManager = options.pathManager ?? 'kernel';
  if (options.role === 'local') {
    add(
      'mptcp path manager',
      (r.pathManager ?? 'kernel') === pathManager,
      `net.mptcp.path_manager = ${r.pathManager ?? 'absent (kernel before 6.15: the in-kernel one)'}${pathManager === 'userspace' ? ' (the config has paths.manager: userspace)' : ''}`,
      r.pathManager === undefined ? 'a kernel with net.mptcp.path_manager (6.15+), or paths.manager: kernel' : `sysctl -w net.mptcp.path_manager=${pathManager}`,
      r.pathManager === undefined
        ? {}
        : {
            why: pathManager === 'userspace' ? "the relay gives each of its connections its subflows itself; the kernel takes its commands only for connections created under the userspace path manager" : "the config leaves the subflows to the kernel's path manager, which the userspace one turns off",
            apply: [['sysctl', '-w', `net.mptcp.path_manager=${pathManager}`]],
          },
    );
    // The userspace path manager ignores the endpoints: the relay joins each link itself.
    if (pathManager === 'kernel') checks.push(endpointCheck(r, options.wanInterfaces));
  }
  add('open files', (r.openFilesSoft ?? 0) >= 65_536, `soft RLIMIT_NOFILE ${r.openFilesSoft ?? 'unknown'}${r.openFilesOf ? ` (${r.openFilesOf})` : ''}`, 'LimitNOFILE=1048576 in the systemd unit, or `* soft nofile 999999` in /etc/security/limits.conf');
  const width = r.portRange ? r.portRange[1] - r.portRange[0] : 0;
  add('local port range', width >= 50_000, r.portRange ? `net.ipv4.ip_local_port_range = ${r.portRange.join(' ')}` : 'unreadable', 'sysctl -w net.ipv4.ip_local_port_range="10000 65535"', {
    why: 'every relayed connection holds a local port on the relay',
    apply: [['sysctl', '-w', 'net.ipv4.ip_local_port_range=10000 65535']],
  });
  if (options.role === 'local') {
    add(
      'conntrack table',
      r.conntrackMax === undefined || r.conntrackMax >= 50_000,
      r.conntrackMax === undefined ? 'nf_conntrack not loaded yet (it loads with the REDIRECT rule)' : `net.netfilter.nf_conntrack_max = ${r.conntrackMax}`,
      'sysctl -w net.netfilter.nf_conntrack_max=50000',
      { why: 'REDIRECT keeps a conntrack entry per LAN connection', apply: [['sysctl', '-w', 'net.netfilter.nf_conntrack_max=50000']] },
    );
  }
  const bit = options.role === 'local' ? 1 : 2;
  add(
    'tcp fast open',
    !options.fastOpen || ((r.tcpFastOpen ?? 0) & bit) !== 0,
    `net.ipv4.tcp_fastopen = ${r.tcpFastOpen ?? 'unreadable'} (${options.fastOpen ? '' : 'only if Fast Open is turned on: '}${options.role} needs bit ${bit}: ${options.role === 'local' ? 'client' : 'server'})`,
    'sysctl -w net.ipv4.tcp_fastopen=3',
  );
  add(
    'mptcp stale_loss_cnt',
    r.staleLossCnt === undefined || (r.staleLossCnt > 0 && r.staleLossCnt <= STALE_LOSS_CNT),
    `net.mptcp.stale_loss_cnt = ${r.staleLossCnt ?? 'absent (older kernel)'}`,
    `sysctl -w net.mptcp.stale_loss_cnt=${STALE_LOSS_CNT}`,
    {
      why: `a subflow without progress for this many retransmission timeouts is marked stale and what was in flight on it is re-sent on the others; with the default 4 and the timeouts backing off, a download can sit seconds on a dead link (the remote is the sender of downloads)`,
      apply: [['sysctl', '-w', `net.mptcp.stale_loss_cnt=${STALE_LOSS_CNT}`]],
    },
  );
  if (options.subflowSendBufferBytes !== undefined) checks.push(subflowSendBufferCheck(r.tcpWmem, options.subflowSendBufferBytes));
  if (options.role === 'local') {
    add(
      'mptcp blackhole detection',
      r.blackholeTimeout === undefined || r.blackholeTimeout === 0,
      `net.mptcp.blackhole_timeout = ${r.blackholeTimeout ?? 'absent (kernel before 6.12)'}`,
      'sysctl -w net.mptcp.blackhole_timeout=0',
      {
        why: 'on a lossy link two lost MP_CAPABLE SYNs followed by a plain TCP success make 6.12+ kernels open new connections without MPTCP for blackhole_timeout seconds (an hour by default): the relay would run over one link only',
        apply: [['sysctl', '-w', 'net.mptcp.blackhole_timeout=0']],
      },
    );
  }
  add(
    'TCP_USER_TIMEOUT on MPTCP',
    r.userTimeoutRefused === undefined,
    r.userTimeoutRefused === undefined ? 'an MPTCP socket takes TCP_USER_TIMEOUT' : `an MPTCP socket refuses TCP_USER_TIMEOUT (${r.userTimeoutRefused})`,
    'none on this kernel (a newer one passes it to the subflows); a dead connection is found by keepalive only: keep keepalive.idleSec + intervalSec x count short in the config',
    { why: 'without it, data unacknowledged on every subflow is retried for the kernel default of ~15 minutes' },
  );
  return checks;
}

/**
 * Send buffers no larger than asked for. MPTCP's scheduler moves a connection's data into
 * each subflow's own TCP send queue as far as that subflow's send buffer allows, and
 * autotuning grows it to several congestion windows: on lossy-wisp's links the remote's
 * subflows held 140-470 KB unsent, 0.2-0.5 s at their rates. Neither TCP_NOTSENT_LOWAT on
 * the connection nor net.ipv4.tcp_notsent_lowat bounds that queue (6.18, measured). When
 * a link dies, the kernel sends the dead subflow's data again on a live one, behind that
 * queue. The ceiling is the most autotuning may reach: each subflow keeps growing to what
 * its own window needs, and the connection's buffer (the subflows' sum) is not capped.
 */
function subflowSendBufferCheck(wmem: Readings['tcpWmem'], maxBytes: number): Check {
  const name = 'subflow send buffer';
  const detail = `net.ipv4.tcp_wmem = ${wmem ? wmem.join(' ') : 'unreadable'} (at most ${maxBytes} wanted)`;
  if (wmem && wmem[2] <= maxBytes) return { name, ok: true, detail };
  const [min, initial] = wmem ?? [4096, 16384];
  const value = `${Math.min(min, maxBytes)} ${Math.min(initial, maxBytes)} ${maxBytes}`;
  return {
    name,
    ok: false,
    detail,
    fix: `sysctl -w net.ipv4.tcp_wmem="${value}"`,
    why: "MPTCP queues a connection's data in each subflow up to its send buffer, several windows once autotuned; when a link dies its data is sent again on the live subflow behind that queue (the lab's lossy-wisp links, link A down under a download, 5 runs each: stall p50 510 ms with the kernel's ceiling and stale_loss_cnt, 269 ms with both set)",
    apply: [['sysctl', '-w', `net.ipv4.tcp_wmem=${value}`]],
  };
}

/** Every WAN interface carries a `subflow` endpoint: the second link joins each connection, and the monitor takes a dead link's off. */
function endpointCheck(r: Readings, wanInterfaces: readonly string[]): Check {
  const subflowDevs = new Set(r.endpoints.filter((e) => e.flags.includes('subflow') && e.dev).map((e) => e.dev));
  const missing = wanInterfaces.filter((dev) => !subflowDevs.has(dev));
  const any = r.endpoints.some((e) => e.flags.includes('subflow'));
  const ok = wanInterfaces.length > 0 ? missing.length === 0 : any;
  const detail = r.endpoints.length === 0 ? 'no endpoints' : r.endpoints.map((e) => `${e.address}${e.dev ? ` dev ${e.dev}` : ''} ${e.flags.join(',')}`).join('; ');
  if (ok) return { name: 'mptcp endpoints', ok, detail };
  const addressOf = (dev: string) => r.interfaceAddresses?.[dev]?.[0];
  const commands = missing.map((dev) => ['ip', 'mptcp', 'endpoint', 'add', addressOf(dev) ?? `<address on ${dev}>`, 'dev', dev, 'subflow']);
  const fix = missing.length > 0 ? commands.map((argv) => argv.join(' ')).join(' && ') : 'ip mptcp endpoint add <address on the second WAN> dev <its interface> subflow';
  const applicable = missing.length > 0 && missing.every((dev) => addressOf(dev) !== undefined);
  return {
    name: 'mptcp endpoints',
    ok,
    detail,
    fix,
    why: 'a subflow endpoint per WAN link: the other links join each connection, and the link monitor moves traffic off a dead link by taking its endpoint off',
    ...(applicable ? { apply: commands } : {}),
  };
}

async function sysctl(path: string): Promise<string | undefined> {
  try {
    return readSysctl(path);
  } catch {
    return undefined;
  }
}

const num = (text: string | undefined) => (text === undefined || text === '' ? undefined : Number(text));

/** Three numbers (`4096 16384 4194304`), or undefined. */
function triple(text: string | undefined): [number, number, number] | undefined {
  const values = text?.trim().split(/\s+/).map(Number);
  return values?.length === 3 && values.every(Number.isFinite) ? [values[0]!, values[1]!, values[2]!] : undefined;
}

/** Where the open-files limit was read: the daemon itself, else this process (which may differ). */
export interface GatherOptions {
  role: Role;
  /** The running daemon; default: the main process of the mprelay-<role> systemd unit. */
  pid?: number;
}

/** The daemon's pid: given, or the unit's MainPID from systemd (undefined when neither runs). */
async function daemonPid(options: GatherOptions): Promise<number | undefined> {
  if (options.pid !== undefined) return options.pid;
  const shown = await execa('systemctl', ['show', '--property=MainPID', '--value', `mprelay-${options.role}.service`], { reject: false });
  const pid = Number(shown.stdout.trim());
  return shown.exitCode === 0 && pid > 0 ? pid : undefined;
}

/** Soft RLIMIT_NOFILE of a process, from /proc/<pid>/limits. */
export async function openFilesOf(pid: number | 'self'): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/limits`, 'utf8').catch(() => '');
  const soft = /Max open files\s+(\d+|unlimited)/.exec(text)?.[1];
  return soft === 'unlimited' ? Infinity : num(soft);
}

export async function gather(options: GatherOptions): Promise<Readings> {
  const limitsText = (await execa('ip', ['mptcp', 'limits', 'show'], { reject: false })).stdout;
  const endpointText = (await execa('ip', ['mptcp', 'endpoint', 'show'], { reject: false })).stdout;
  const limitValue = (key: string) => Number(new RegExp(`${key} (\\d+)`).exec(limitsText)?.[1] ?? NaN);
  const limits = limitsText ? { subflows: limitValue('subflows'), addAddrAccepted: limitValue('add_addr_accepted') } : undefined;
  const endpoints = endpointText
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const words = line.trim().split(/\s+/);
      const dev = words[words.indexOf('dev') + 1];
      const flags = words.filter((w) => ['subflow', 'signal', 'backup', 'fullmesh', 'implicit'].includes(w));
      return { address: words[0] ?? '', ...(words.includes('dev') && dev ? { dev } : {}), flags };
    });
  const pid = await daemonPid(options);
  const range = (await sysctl('net/ipv4/ip_local_port_range'))?.split(/\s+/).map(Number);
  const refused = userTimeoutOnMptcp();
  return {
    mptcpEnabled: num(await sysctl('net/mptcp/enabled')),
    limits,
    endpoints,
    openFilesSoft: await openFilesOf(pid ?? 'self'),
    openFilesOf: pid === undefined ? 'this shell (no running daemon found: pass --pid)' : `pid ${pid}`,
    portRange: range?.length === 2 ? [range[0] ?? 0, range[1] ?? 0] : undefined,
    conntrackMax: num(await sysctl('net/netfilter/nf_conntrack_max')),
    tcpFastOpen: num(await sysctl('net/ipv4/tcp_fastopen')),
    staleLossCnt: num(await sysctl('net/mptcp/stale_loss_cnt')),
    blackholeTimeout: num(await sysctl('net/mptcp/blackhole_timeout')),
    interfaceAddresses: await interfaceAddresses(),
    userTimeoutRefused: refused,
    pathManager: await sysctl('net/mptcp/path_manager'),
    tcpWmem: triple(await sysctl('net/ipv4/tcp_wmem')),
  };
}

/** Global addresses per interface, from `ip -j addr show`. */
async function interfaceAddresses(): Promise<Record<string, string[]>> {
  const shown = await execa('ip', ['-j', 'addr', 'show'], { reject: false });
  const rows = JSON.parse(shown.stdout || '[]') as Array<{ ifname: string; addr_info?: Array<{ local: string; scope: string }> }>;
  return Object.fromEntries(rows.map((row) => [row.ifname, (row.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => a.local)]));
}

/** `--fix`: runs the commands of every failed check that has them; returns what it printed. */
export async function applyFixes(checks: readonly Check[], print: (line: string) => void): Promise<void> {
  for (const check of checks) {
    if (check.ok || !check.apply) continue;
    for (const argv of check.apply) {
      const [file, ...args] = argv as [string, ...string[]];
      const result = await execa(file, args, { reject: false });
      print(`${result.exitCode === 0 ? 'fixed' : 'FAILED to fix'} ${check.name}: ${argv.join(' ')}${check.why ? `\n     because ${check.why}` : ''}${result.exitCode === 0 ? '' : `\n     ${result.stderr.trim()}`}`);
    }
  }
}

export function formatChecks(checks: Check[]): string {
  return checks
    .map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}${c.fix ? `\n     fix: ${c.fix}` : ''}`)
    .join('\n');
}
