// MPTCP blackhole detection (kernel 6.12+): after MP_CAPABLE SYNs are lost and a plain
// TCP SYN gets through, the kernel disables MPTCP for new outgoing connections in that
// namespace for net.mptcp.blackhole_timeout (an hour). Every later MPTCP system there
// would silently run plain TCP. Each block has namespaces of its own, so the state
// cannot carry over; what a block triggered itself is counted from MPTcpExt.
import { nsRun } from './netns.ts';
import type { Namespaces } from './types.ts';

export interface BlackholeCounts {
  /** MPTcpExt Blackhole: blackholes the kernel detected. */
  events: number;
  /** MPTcpExt MPCapableSYNTXDisabled: connections that went out as plain TCP because of one. */
  disabledSyns: number;
}

/**
 * A group of /proc/net/netstat (e.g. MPTcpExt) as name -> value: the file has two lines
 * per group, names then values. Read directly rather than with nstat, whose history file
 * in /tmp is shared by every namespace and every concurrent caller.
 */
export function netstatGroup(text: string, group: string): Map<string, number> {
  const lines = text.split('\n').filter((line) => line.startsWith(`${group}:`));
  const names = lines[0]?.split(/\s+/).slice(1) ?? [];
  const values = lines[1]?.split(/\s+/).slice(1).map(Number) ?? [];
  return new Map(names.map((name, i) => [name, values[i] ?? 0]));
}

/** The counters' values in one namespace: since it was made. */
export async function blackholeCountsIn(ns: string): Promise<BlackholeCounts> {
  const { stdout } = await nsRun(ns, 'cat', ['/proc/net/netstat']);
  const mptcp = netstatGroup(String(stdout), 'MPTcpExt');
  return { events: mptcp.get('Blackhole') ?? 0, disabledSyns: mptcp.get('MPCapableSYNTXDisabled') ?? 0 };
}

/** Summed over every namespace of a topology. */
export async function blackholeCounts(ns: Namespaces): Promise<BlackholeCounts> {
  const counts = await Promise.all(Object.values(ns).map(blackholeCountsIn));
  return counts.reduce((sum, c) => ({ events: sum.events + c.events, disabledSyns: sum.disabledSyns + c.disabledSyns }), { events: 0, disabledSyns: 0 });
}

const BLACKHOLE_SYSCTL = 'net.mptcp.blackhole_timeout';

/**
 * Clears the state in every namespace of a topology. Lost MP_CAPABLE SYNs during an
 * outage are a real effect inside a failover window, but must not leak into the next
 * window, as the link's outage does not. Writing the sysctl (its own value) clears it.
 */
export async function resetBlackholeDetection(ns: Namespaces): Promise<void> {
  await Promise.all(
    Object.values(ns).map(async (name) => {
      const { stdout } = await nsRun(name, 'sysctl', ['-n', BLACKHOLE_SYSCTL]);
      await nsRun(name, 'sysctl', ['-q', '-w', `${BLACKHOLE_SYSCTL}=${String(stdout).trim()}`]);
    }),
  );
}
