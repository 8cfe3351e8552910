// --quick: the same scenario, shortened to a smoke run (one repetition, no warm-up,
// short transfers, one failover window with the outage halved), for a first look in
// about a minute.
import type { Scenario } from '../scenario/schema.ts';

export function quickScenario(scenario: Scenario): Scenario {
  const { connect, keyscan, hol, pageload, transfer, throughput, failover } = scenario.workloads;
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
