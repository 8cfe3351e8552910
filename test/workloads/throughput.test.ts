// The throughput workload checked against a real tool: iperf3 (Debian's), 7 s measured
// after 3 s omitted (as the scenarios do), through the same system on the same emulated
// links (lossy-wisp's), each direction, one flow, run right after the lab's own cell. The
// lab must agree within 10 %: when mprelay's upload read 3.37 Mbit/s in the lab and 4.72
// with iperf3, the lab was wrong.
import test, { type ExecutionContext } from 'ava';
import { tcpListening, waitUntil } from '../../lab/systems/daemon.ts';
import { directTcp } from '../../lab/systems/direct-tcp.ts';
import { mprelay } from '../../lab/systems/mprelay.ts';
import { nsRun, nsSpawn } from '../../lab/topology/netns.ts';
import { ADDR } from '../../lab/topology/types.ts';
import { waitForQuietLinks } from '../../lab/topology/quiet.ts';
import { throughputWorkload } from '../../lab/workloads/throughput.ts';
import type { WorkloadContext } from '../../lab/workloads/workload.ts';
import { testScenario, useTopology } from '../helpers/topology.ts';
import { workloadBench } from './bench.ts';

const IPERF_PORT = 5301;
const DURATION_S = 10;
// 3 s, as the scenarios: with 2 s, mprelay's upload window once read 4.88 Mbit/s on 5 Mbit/s of links (a lab error, no sample).
const OMIT_S = 3;

/** iperf3's receiver-side goodput, Mbit/s, over the measured seconds (the omitted ones excluded). */
async function iperf3Mbps(t: ExecutionContext, context: WorkloadContext, direction: 'down' | 'up'): Promise<number> {
  const { topology, system } = context;
  // As before each of the lab's own windows: what the previous transfer left queued drains first.
  // Longer than the lab's own 5 s bound: an upload window leaves MBs in a relay's buffers, draining at the up rate.
  const quiet = await waitForQuietLinks(Object.values(topology.links), 30_000);
  t.true(quiet.quiet, `quiet links before iperf3: ${quiet.busy}`);
  const [serverFile, ...serverArgs] = [...system.wrap.server, 'iperf3', '-s', '-1', '-B', ADDR.server, '-p', String(IPERF_PORT)];
  const server = nsSpawn(topology.ns.server, serverFile!, serverArgs, { stdout: 'ignore', stderr: 'pipe' });
  try {
    if (!(await waitUntil(() => tcpListening(topology.ns.server, ADDR.server, IPERF_PORT), 10_000))) throw new Error('iperf3 server did not listen');
    // -t counts after the omitted seconds: -t 7 -O 3 is 10 s in all, as the lab's cell.
    const args = ['-c', ADDR.server, '-p', String(IPERF_PORT), '-t', String(DURATION_S - OMIT_S), '-O', String(OMIT_S), '-J', ...(direction === 'down' ? ['-R'] : [])];
    const [file, ...rest] = [...system.wrap.client, 'iperf3', ...args];
    const { stdout } = await nsRun(topology.ns.client, file!, rest, { timeout: (DURATION_S + 20) * 1000 });
    const report = JSON.parse(String(stdout)) as { end: { sum_received: { bits_per_second: number } } };
    return report.end.sum_received.bits_per_second / 1e6;
  } finally {
    server.kill('SIGTERM');
    await server;
  }
}

for (const adapter of [directTcp, mprelay]) {
  test.serial(`${adapter.name}: the lab's goodput agrees with iperf3's within 10 % in each direction`, async (t) => {
    const base = await testScenario('lossy-wisp');
    const topology = await useTopology(t, base);
    const bench = await workloadBench(t, topology, base, adapter);
    const figures: string[] = [];
    for (const direction of ['down', 'up'] as const) {
      const scenario = { ...base, workloads: { throughput: { duration: DURATION_S * 1000, omit: OMIT_S * 1000, flows: [1], directions: [direction] } } };
      const results = await bench.measure(throughputWorkload, 1, scenario);
      t.deepEqual(results.runs[0]!.labErrors, []);
      const lab = results.summary[adapter.name as 'direct-tcp']!.throughput![`goodput_${direction}_1flow_mbps`]!.p50;
      const tool = await iperf3Mbps(t, bench.context, direction);
      figures.push(`${direction}: lab ${lab.toFixed(2)}, iperf3 ${tool.toFixed(2)} Mbit/s (${(((lab - tool) / tool) * 100).toFixed(1)} %)`);
      t.true(Math.abs(lab - tool) <= 0.1 * tool, figures.at(-1));
    }
    t.log(`${adapter.name}: ${figures.join('; ')}`);
  });
}
