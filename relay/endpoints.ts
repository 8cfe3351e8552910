// The kernel's MPTCP endpoints of the local's links, and the two ways to move traffic off
// a dead one (net/mptcp/pm_kernel.c):
// - `remove`: delete the link's endpoint. For every connection the kernel closes the
//   subflows from that address (the initial one too: it carries ID 0 then) and signals
//   REMOVE_ADDR on another subflow, so the remote closes its side at once and sends what
//   was in flight there over the live link. Adding the endpoint back (same id, `subflow`)
//   opens a new subflow from it on every existing connection.
// - `backup`: flag the endpoint backup. The kernel sends MP_PRIO on the subflow being
//   demoted itself, which on a dead link never arrives: the remote keeps sending there
//   until its own retransmission timers mark the subflow stale.
// The lab measures both (relay `failover.action`); `remove` is the default.
import { execa } from 'execa';

export type FailoverAction = 'remove' | 'backup';

export interface Endpoint {
  id: number;
  address: string;
  dev?: string;
  flags: string[];
}

const FLAG_NAMES = ['subflow', 'signal', 'backup', 'fullmesh', 'implicit'];

async function ip(args: string[]): Promise<string> {
  return (await execa('ip', args, { timeout: 5_000 })).stdout;
}

/** Parses `ip -j mptcp endpoint show` (iproute2 prints each flag as a `true` field). */
export function parseEndpoints(json: string): Endpoint[] {
  const rows = JSON.parse(json || '[]') as Array<Record<string, unknown>>;
  return rows.map((row) => ({
    id: Number(row.id),
    address: String(row.address),
    ...(typeof row.dev === 'string' ? { dev: row.dev } : {}),
    flags: FLAG_NAMES.filter((flag) => row[flag] === true),
  }));
}

export async function listEndpoints(): Promise<Endpoint[]> {
  return parseEndpoints(await ip(['-j', 'mptcp', 'endpoint', 'show']));
}

/** The `ip` arguments that take a link's endpoint off (down) or put it back (up). */
export function endpointCommand(action: FailoverAction, endpoint: Endpoint, up: boolean): string[] {
  if (action === 'backup') return ['mptcp', 'endpoint', 'change', 'id', String(endpoint.id), up ? 'nobackup' : 'backup'];
  if (!up) return ['mptcp', 'endpoint', 'delete', 'id', String(endpoint.id)];
  const flags = endpoint.flags.filter((flag) => flag !== 'implicit' && flag !== 'backup');
  return ['mptcp', 'endpoint', 'add', endpoint.address, ...(endpoint.dev ? ['dev', endpoint.dev] : []), 'id', String(endpoint.id), ...flags];
}

export async function applyEndpoint(action: FailoverAction, endpoint: Endpoint, up: boolean): Promise<void> {
  await ip(endpointCommand(action, endpoint, up));
}
