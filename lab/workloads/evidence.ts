// What explains a figure: for each workload run, the kernel's TCP and MPTCP counters
// (nstat: Tcp, TcpExt, MPTcpExt) in every namespace, and the link emulators' counters,
// as deltas over the workload. Subflows opened, joins, reinjections, fallbacks to TCP,
// blackhole events, retransmissions, bytes per link: all there, next to the samples.
import type { LinkName } from '../links/model.ts';
import { nsRun } from '../topology/netns.ts';
import type { DirectionCounters, LinkCounters, Namespaces, Topology } from '../topology/types.ts';
import type { Workload, WorkloadContext, WorkloadRun } from './workload.ts';

export type NamespaceRole = keyof Namespaces;

/** Counter name -> value; only counters that changed are kept in a delta. */
export type CounterSet = Record<string, number>;

export type LinkDelta = Pick<DirectionCounters, 'sentPackets' | 'sentBytes' | 'lossDrops' | 'queueDrops' | 'outageDrops'>;

export interface Evidence {
  counters: Record<NamespaceRole, CounterSet>;
  links: Record<LinkName, { down: LinkDelta; up: LinkDelta }>;
}

interface Snapshot {
  counters: Record<NamespaceRole, CounterSet>;
  links: Record<LinkName, LinkCounters>;
}

const ROLES: NamespaceRole[] = ['client', 'gwLocal', 'gwRemote', 'server'];
const LINKS: LinkName[] = ['a', 'b'];
const LINK_FIELDS: (keyof LinkDelta)[] = ['sentPackets', 'sentBytes', 'lossDrops', 'queueDrops', 'outageDrops'];
/** nstat's names for the Tcp (snmp), TcpExt and MPTcpExt (netstat) counters. */
const KEPT = /^(Tcp|MPTcpExt)/;

/** The namespace's counters now (absolute values; nstat's history file is neither read nor written). */
export async function nstatCounters(ns: string): Promise<CounterSet> {
  const { stdout } = await nsRun(ns, 'nstat', ['--ignore', '--noupdate', '--json']);
  const all = (JSON.parse(String(stdout)) as { kernel: CounterSet }).kernel;
  return Object.fromEntries(Object.entries(all).filter(([name]) => KEPT.test(name)));
}

async function snapshot(topology: Topology): Promise<Snapshot> {
  const [counters, links] = await Promise.all([
    Promise.all(ROLES.map((role) => nstatCounters(topology.ns[role]))),
    Promise.all(LINKS.map((link) => topology.links[link].counters())),
  ]);
  return {
    counters: Object.fromEntries(ROLES.map((role, i) => [role, counters[i]!])) as Snapshot['counters'],
    links: Object.fromEntries(LINKS.map((link, i) => [link, links[i]!])) as Snapshot['links'],
  };
}

/** after - before for the counters that changed. */
export function counterDelta(before: CounterSet, after: CounterSet): CounterSet {
  return Object.fromEntries(Object.entries(after).flatMap(([name, value]) => (value !== (before[name] ?? 0) ? [[name, value - (before[name] ?? 0)]] : [])));
}

function linkDelta(before: DirectionCounters, after: DirectionCounters): LinkDelta {
  return Object.fromEntries(LINK_FIELDS.map((field) => [field, after[field] - before[field]])) as unknown as LinkDelta;
}

function evidenceBetween(before: Snapshot, after: Snapshot): Evidence {
  return {
    counters: Object.fromEntries(ROLES.map((role) => [role, counterDelta(before.counters[role], after.counters[role])])) as Evidence['counters'],
    links: Object.fromEntries(
      LINKS.map((link) => [link, { down: linkDelta(before.links[link].down, after.links[link].down), up: linkDelta(before.links[link].up, after.links[link].up) }]),
    ) as Evidence['links'],
  };
}

/** Runs a workload between two snapshots of the counters: its run, with the evidence of what the kernel and the links did. */
export async function runWithEvidence(workload: Workload, context: WorkloadContext): Promise<WorkloadRun & { evidence: Evidence }> {
  const before = await snapshot(context.topology);
  const run = await workload.run(context);
  return { ...run, evidence: evidenceBetween(before, await snapshot(context.topology)) };
}
