// What `ss` shows inside a namespace, parsed: MPTCP connections (`ss -M`) and TCP
// sockets (`ss -t`, where the subflows of MPTCP connections appear one by one, with
// the device they are bound to, e.g. 100.64.2.2%linkb), and the MPTCP endpoints the
// path manager has (`ip mptcp endpoint`), and the MPTCP MIB counters.
import { nsRun } from '../../lab/topology/netns.ts';
import { netstatGroup } from '../../lab/topology/blackhole.ts';
import { parseEndpoints } from '../../relay/endpoints.ts';

export interface Endpoint {
  ip: string;
  port: number;
  /** Device the socket is bound to, when ss shows one (ip%dev:port). */
  dev?: string;
}

export interface SocketRow {
  state: string;
  local: Endpoint;
  peer: Endpoint;
}

function parseEndpoint(text: string): Endpoint | undefined {
  const match = /^([\d.]+)(?:%(\S+))?:(\d+)$/.exec(text);
  return match ? { ip: match[1]!, dev: match[2], port: Number(match[3]) } : undefined;
}

async function ssRows(ns: string, kind: '-M' | '-t'): Promise<SocketRow[]> {
  const { stdout } = await nsRun(ns, 'ss', ['-Hna', kind]);
  const rows: SocketRow[] = [];
  for (const line of String(stdout).split('\n')) {
    const [state, , , local, peer] = line.trim().split(/\s+/);
    const localEndpoint = parseEndpoint(local ?? '');
    const peerEndpoint = parseEndpoint(peer ?? '');
    if (state && localEndpoint && peerEndpoint) rows.push({ state, local: localEndpoint, peer: peerEndpoint });
  }
  return rows;
}

export interface Match {
  localPort?: number;
  peerIp?: string;
  peerPort?: number;
}

const matches = (row: SocketRow, match: Match) =>
  row.state === 'ESTAB' &&
  (match.localPort === undefined || row.local.port === match.localPort) &&
  (match.peerIp === undefined || row.peer.ip === match.peerIp) &&
  (match.peerPort === undefined || row.peer.port === match.peerPort);

/** Established MPTCP connections (one row per connection, whatever its subflows). */
export async function mptcpConnections(ns: string, match: Match): Promise<SocketRow[]> {
  return (await ssRows(ns, '-M')).filter((row) => matches(row, match));
}

/** Established TCP sockets: plain connections and the subflows of MPTCP connections. */
export async function tcpSockets(ns: string, match: Match): Promise<SocketRow[]> {
  return (await ssRows(ns, '-t')).filter((row) => matches(row, match));
}

/** Counts established subflows (or plain TCP connections) by the local address they leave from. */
export async function socketsByLocalIp(ns: string, match: Match): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const row of await tcpSockets(ns, match)) counts[row.local.ip] = (counts[row.local.ip] ?? 0) + 1;
  return counts;
}

/** The addresses of the namespace's MPTCP endpoints. */
export async function endpointAddresses(ns: string): Promise<string[]> {
  return parseEndpoints(String((await nsRun(ns, 'ip', ['-j', 'mptcp', 'endpoint', 'show'])).stdout)).map((e) => e.address);
}

/** The namespace's MPTCP MIB counters (MPTcpExt in /proc/net/netstat), by name. */
export async function mptcpMib(ns: string): Promise<Map<string, number>> {
  return netstatGroup(String((await nsRun(ns, 'cat', ['/proc/net/netstat'])).stdout), 'MPTcpExt');
}
