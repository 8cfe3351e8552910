// --quick: the same scenario, shortened to a smoke run (one repetition, no warm-up,
// short transfers, the failover outage halved), for a first look in about a minute.
import type { Scenario } from '../scenario/schema.ts';

export function quickScenario(scenario: Scenario): Scenario {
  const { connect, hol, throughput, failover } = scenario.workloads;
  const links = structuredClone(scenario.links);
  let quickFailover = failover;
  if (failover) {
    // Halve the schedule of the failing link, keeping 1.5 s of goodput before the outage as reference.
    const link = links[failover.link];
    link.schedule = link.schedule.map((event) => ({
      atMs: Math.max(1500, event.atMs / 2),
      action: event.action.kind === 'outage' ? { ...event.action, durationMs: event.action.durationMs / 2 } : event.action,
    }));
    const ends = link.schedule.map((e) => e.atMs + (e.action.kind === 'outage' ? e.action.durationMs : 0));
    quickFailover = { ...failover, duration: Math.min(failover.duration, Math.max(...ends) + 1500) };
  }
  return {
    ...scenario,
    links,
    repeat: 1,
    warmup: 0,
    workloads: {
      ...(connect && { connect: { connections: Math.min(connect.connections, 5) } }),
      ...(hol && { hol: { ...hol, idle: Math.min(hol.idle, 1000), duration: Math.min(hol.duration, 2500) } }),
      ...(throughput && { throughput: { ...throughput, duration: Math.min(throughput.duration, 2500), flows: [throughput.flows[0]!], directions: [throughput.directions[0]!] } }),
      ...(quickFailover && { failover: quickFailover }),
    },
  };
}
