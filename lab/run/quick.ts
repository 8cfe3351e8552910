// --quick: the same scenario, shortened to a smoke run for a first look in about a
// minute: one repetition, no warm-up, and by default only the workloads that carry the
// relay's three promises (connect: no extra round trip; hol: no head-of-line blocking;
// failover: a link dies and the home stays online), each at its shortest honest window.
// Five systems with every workload cannot fit: the windows alone take ~22 s per system
// (lossy-wisp), and shorter ones give wrong figures (a goodput window that starts before
// 3 s reads above capacity; a failover window needs 2 s before and 5 s after its outage).
// Workloads named with --workloads are all kept, shortened.
import type { Scenario, WorkloadName } from '../scenario/schema.ts';

/** What --quick runs when no --workloads are named (those the scenario has). */
export const QUICK_WORKLOADS: readonly WorkloadName[] = ['connect', 'hol', 'failover'];

/** The workloads of `scenario` a quick run keeps: `chosen`, else QUICK_WORKLOADS (all of the scenario's when it has none of them). */
export function quickWorkloads(scenario: Scenario, chosen?: readonly WorkloadName[]): WorkloadName[] {
  const present = (Object.keys(scenario.workloads) as WorkloadName[]).filter((name) => scenario.workloads[name] !== undefined);
  if (chosen) return present.filter((name) => chosen.includes(name));
  const promised = present.filter((name) => QUICK_WORKLOADS.includes(name));
  return promised.length > 0 ? promised : present;
}

export function quickScenario(scenario: Scenario, chosen?: readonly WorkloadName[]): Scenario {
  const keep = new Set<string>(quickWorkloads(scenario, chosen));
  const kept: Scenario['workloads'] = Object.fromEntries(Object.entries(scenario.workloads).filter(([name]) => keep.has(name)));
  const { connect, keyscan, hol, pageload, transfer, throughput, failover } = kept;
  return {
    ...scenario,
    repeat: 1,
    warmup: 0,
    workloads: {
      ...(connect && { connect: { ...connect, connections: Math.min(connect.connections, 5) } }),
      ...(keyscan && { keyscan: { ...keyscan, scans: Math.min(keyscan.scans, 2) } }),
      ...(hol && { hol: { ...hol, idle: Math.min(hol.idle, 1000), duration: Math.min(hol.duration, 2500) } }),
      ...(pageload && { pageload: { ...pageload, pages: 1 } }),
      ...(transfer && { transfer: { ...transfer, count: 1, directions: [transfer.directions[0]!] } }),
      ...(throughput && {
        // 3 s left out, as the scenarios do: a window that starts earlier holds BBR's start-up
        // and the release of reorder queues after its first overflow, and reads above capacity.
        throughput: { ...throughput, duration: Math.min(throughput.duration, 5000), omit: Math.min(throughput.omit, 3000), flows: [throughput.flows[0]!], directions: [throughput.directions[0]!] },
      }),
      // The schema's shortest window around the outage: 2 s before, 5 s after.
      ...(failover && { failover: { links: [failover.links[0]!], before: 2000, outage: Math.max(1000, failover.outage / 2), after: 5000 } }),
    },
  };
}
