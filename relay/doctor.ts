// `mprelay doctor`: checks what the seed's notes tune on a gateway (MPTCP on, limits and
// endpoints, open files, port range, conntrack size, Fast Open) and says how to fix each.
// Readings are gathered in one place and judged by a pure function, which tests use.
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';

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
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export interface DoctorOptions {
  role: Role;
  /** WAN interfaces of the local gateway that must each carry a subflow endpoint (all but the default route's). */
  wanInterfaces: string[];
  /** Whether the config turns TCP Fast Open on (local `fastOpen`, remote `fastOpenQueue`). */
  fastOpen: boolean;
}

export function judge(r: Readings, options: DoctorOptions): Check[] {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string, fix: string) => checks.push(ok ? { name, ok, detail } : { name, ok, detail, fix });
  add('mptcp enabled', r.mptcpEnabled === 1, `net.mptcp.enabled = ${r.mptcpEnabled ?? 'absent (kernel without MPTCP?)'}`, 'sysctl -w net.mptcp.enabled=1 (and in /etc/sysctl.d/)');
  const wantSubflows = Math.max(1, options.wanInterfaces.length);
  add(
    'mptcp limits',
    // Both ends: the remote's limit also caps the joins it accepts.
    (r.limits?.subflows ?? 0) >= wantSubflows,
    r.limits ? `subflows ${r.limits.subflows}, add_addr_accepted ${r.limits.addAddrAccepted}` : 'unreadable',
    `ip mptcp limits set subflows ${Math.max(2, wantSubflows)} add_addr_accepted ${Math.max(2, wantSubflows)}`,
  );
  if (options.role === 'local') {
    const subflowDevs = new Set(r.endpoints.filter((e) => e.flags.includes('subflow') && e.dev).map((e) => e.dev));
    const missing = options.wanInterfaces.filter((dev) => !subflowDevs.has(dev));
    const any = r.endpoints.some((e) => e.flags.includes('subflow'));
    add(
      'mptcp endpoints',
      options.wanInterfaces.length > 0 ? missing.length === 0 : any,
      r.endpoints.length === 0 ? 'no endpoints' : r.endpoints.map((e) => `${e.address}${e.dev ? ` dev ${e.dev}` : ''} ${e.flags.join(',')}`).join('; '),
      missing.length > 0
        ? missing.map((dev) => `ip mptcp endpoint add <address on ${dev}> dev ${dev} subflow`).join(' && ')
        : 'ip mptcp endpoint add <address on the second WAN> dev <its interface> subflow',
    );
  }
  add('open files', (r.openFilesSoft ?? 0) >= 65_536, `soft RLIMIT_NOFILE ${r.openFilesSoft ?? 'unknown'}${r.openFilesOf ? ` (${r.openFilesOf})` : ''}`, 'LimitNOFILE=1048576 in the systemd unit, or `* soft nofile 999999` in /etc/security/limits.conf');
  const width = r.portRange ? r.portRange[1] - r.portRange[0] : 0;
  add('local port range', width >= 50_000, r.portRange ? `net.ipv4.ip_local_port_range = ${r.portRange.join(' ')}` : 'unreadable', 'sysctl -w net.ipv4.ip_local_port_range="10000 65535"');
  if (options.role === 'local') {
    add(
      'conntrack table',
      r.conntrackMax === undefined || r.conntrackMax >= 50_000,
      r.conntrackMax === undefined ? 'nf_conntrack not loaded yet (it loads with the REDIRECT rule)' : `net.netfilter.nf_conntrack_max = ${r.conntrackMax}`,
      'sysctl -w net.netfilter.nf_conntrack_max=50000',
    );
  }
  const bit = options.role === 'local' ? 1 : 2;
  add(
    'tcp fast open',
    !options.fastOpen || ((r.tcpFastOpen ?? 0) & bit) !== 0,
    `net.ipv4.tcp_fastopen = ${r.tcpFastOpen ?? 'unreadable'} (${options.fastOpen ? '' : 'only if Fast Open is turned on: '}${options.role} needs bit ${bit}: ${options.role === 'local' ? 'client' : 'server'})`,
    'sysctl -w net.ipv4.tcp_fastopen=3',
  );
  return checks;
}

async function sysctl(path: string): Promise<string | undefined> {
  return readFile(`/proc/sys/${path}`, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
}

const num = (text: string | undefined) => (text === undefined || text === '' ? undefined : Number(text));

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
  return {
    mptcpEnabled: num(await sysctl('net/mptcp/enabled')),
    limits,
    endpoints,
    openFilesSoft: await openFilesOf(pid ?? 'self'),
    openFilesOf: pid === undefined ? 'this shell (no running daemon found: pass --pid)' : `pid ${pid}`,
    portRange: range?.length === 2 ? [range[0] ?? 0, range[1] ?? 0] : undefined,
    conntrackMax: num(await sysctl('net/netfilter/nf_conntrack_max')),
    tcpFastOpen: num(await sysctl('net/ipv4/tcp_fastopen')),
  };
}

export function formatChecks(checks: Check[]): string {
  return checks
    .map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}${c.fix ? `\n     fix: ${c.fix}` : ''}`)
    .join('\n');
}
