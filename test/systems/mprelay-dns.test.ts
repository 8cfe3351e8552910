// Name lookups in the lab: the client asks the world's resolver (dnsmasq in the server
// namespace). Without mprelay they follow the default route over link A and fail while
// it is down; with mprelay (`mprelay rules --dns`) they go to the local's forwarder,
// over the relay, and are answered through link A's outage.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '../../lab/systems/daemon.ts';
import { localMetric, mprelay } from '../../lab/systems/mprelay.ts';
import { nsRun } from '../../lab/topology/netns.ts';
import { LAB_DNS, type Topology } from '../../lab/topology/types.ts';
import type { LookupRecord } from '../../lab/workloads/probe/lookup.ts';
import { useTopology } from '../helpers/topology.ts';
import { startSystem } from './harness.ts';

const LOOKUP_CLIENT = fileURLToPath(new URL('../helpers/lookup-client.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** One lookup from the client namespace, as the failover workload makes it (UDP, resent every second, 3 s at most). */
async function lookup(topology: Topology): Promise<LookupRecord> {
  const { stdout } = await nsRun(topology.ns.client, process.execPath, ['--import', TSX, LOOKUP_CLIENT, LAB_DNS.resolver, LAB_DNS.name, LAB_DNS.address]);
  return JSON.parse(String(stdout)) as LookupRecord;
}

test.serial("without mprelay a lookup takes link A and fails while it is down; with mprelay's forwarder it is answered through the outage", async (t) => {
  const topology = await useTopology(t);
  let down = false;
  t.teardown(() => (down ? topology.links.a.setOutage(false) : undefined));
  const setA = async (outage: boolean) => {
    await topology.links.a.setOutage(outage);
    down = outage;
  };

  t.is((await lookup(topology)).error, null, 'the world resolver answers over the normal route');
  await setA(true);
  t.is((await lookup(topology)).error, 'timeout', 'with link A down and nothing relaying DNS, the lookup times out');
  await setA(false);

  const running = await startSystem(t, mprelay, topology);
  t.true(await waitUntil(async () => (await localMetric(topology, 'mprelay_link_up')) === 2, 5_000), 'the monitor sees both links up');
  const before = await lookup(topology);
  t.is(before.error, null);
  t.is(await localMetric(topology, 'mprelay_dns_queries_total', { transport: 'udp', result: 'ok' }), 1, 'redirected to the forwarder and answered');

  await setA(true);
  // Lookups one after another from the first moment of the outage (each a new process, as each program resolving a name is).
  const during: LookupRecord[] = [];
  for (let i = 0; i < 6; i++) {
    during.push(await lookup(topology));
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  t.deepEqual(
    during.map((r) => r.error),
    during.map(() => null),
    `every lookup during link A's outage was answered: ${JSON.stringify(during)}`,
  );
  t.log(`lookups during the outage: ${during.map((r) => `${Math.round(r.answerMs! - r.startMs)} ms (${r.sent} sent)`).join(', ')}`);
  t.is(await localMetric(topology, 'mprelay_dns_queries_total', { transport: 'udp', result: 'servfail' }), 0);
  await setA(false);
  await running.stop();
  const { stdout } = await nsRun(topology.ns.gwLocal, 'nft', ['list', 'tables']);
  t.notRegex(String(stdout), /mplab_mprelay/, 'the rules (DNS redirect too) are removed on stop');
});
