// The keyscan workload with real OpenSSH: a key exchange through direct-tcp on
// lossy-wisp's links takes at least its round trips and succeeds every time; with the
// server's SYN-ACKs dropped every scan fails and enters at its timeout, censored.
import test from 'ava';
import { directTcp } from '../../lab/systems/direct-tcp.ts';
import { nsRun } from '../../lab/topology/netns.ts';
import { DEV } from '../../lab/topology/types.ts';
import { baseRttMs } from '../../lab/links/model.ts';
import { keyscanWorkload } from '../../lab/workloads/keyscan.ts';
import { testScenario, useTopology } from '../helpers/topology.ts';
import { workloadBench } from './bench.ts';

const SCANS = 4;
const TIMEOUT_MS = 2000;

test.serial('ssh-keyscan through direct-tcp: every exchange succeeds in at least three round trips of link A; a dead path makes each fail at its timeout, censored', async (t) => {
  const base = await testScenario('lossy-wisp');
  const scenario = { ...base, workloads: { keyscan: { scans: SCANS, timeout: TIMEOUT_MS } } };
  const topology = await useTopology(t, scenario);
  const bench = await workloadBench(t, topology, scenario, directTcp);

  const clean = await bench.measure(keyscanWorkload, 1);
  const figures = clean.summary['direct-tcp']!.keyscan!;
  t.deepEqual(clean.runs[0]!.errors, []);
  t.is(figures.keyscan_success_ratio!.mean, 1);
  t.is(figures.keyscan_ms!.n, SCANS);
  t.is(figures.keyscan_start_ms!.n, 3);
  // TCP's handshake, the banners, KEXINIT both ways, the key exchange: at least three round trips.
  const rttMs = baseRttMs(base.links.a);
  t.true(figures.keyscan_ms!.p50 - figures.keyscan_start_ms!.p50 >= 3 * rttMs, `keyscan ${figures.keyscan_ms!.p50} ms, start ${figures.keyscan_start_ms!.p50} ms, RTT ${rttMs} ms`);
  t.log(`keyscan p50 ${figures.keyscan_ms!.p50.toFixed(1)} ms, starting the program ${figures.keyscan_start_ms!.p50.toFixed(1)} ms, link A RTT ${rttMs} ms`);

  // Nothing comes back from the server: every scan times out.
  await nsRun(topology.ns.gwLocal, 'nft', ['-f', '-'], {
    input: `table ip mplab_test_dead {\n  chain c {\n    type filter hook forward priority 0; policy accept;\n    iifname "${DEV.linkA}" tcp sport 22 drop\n  }\n}\n`,
  });
  t.teardown(() => nsRun(topology.ns.gwLocal, 'nft', ['delete', 'table', 'ip', 'mplab_test_dead'], { reject: false }));
  const dead = await bench.measure(keyscanWorkload, 1);
  const failed = dead.samples.filter((s) => s.metric === 'keyscan_ms');
  t.deepEqual(failed.map((s) => [s.value, s.censored]), Array.from({ length: SCANS }, () => [TIMEOUT_MS, true]));
  t.is(dead.summary['direct-tcp']!.keyscan!.keyscan_success_ratio!.mean, 0);
  t.is(dead.runs[0]!.errors.length, SCANS);
});
