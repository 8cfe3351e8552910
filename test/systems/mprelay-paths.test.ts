// mprelay's own path manager (paths.manager: userspace: the lab's mprelay-paths) in the lab
// topology: each connection gets a backup subflow on link B at once; interactive
// exchanges put no byte on link B; a long download is tried as bulk and link B carries
// part of it; a dead link's subflows are removed per connection with REMOVE_ADDR, and
// they come back when it does. The kernel's endpoints are never touched.
import test from 'ava';
import { waitUntil } from '../../lab/systems/daemon.ts';
import { localMetric, mprelayPaths, MPRELAY_REMOTE_PORT } from '../../lab/systems/mprelay.ts';
import { nsRun } from '../../lab/topology/netns.ts';
import { ADDR, DEV, type Topology } from '../../lab/topology/types.ts';
import { useTopology } from '../helpers/topology.ts';
import { download, startTrafficServer, upload } from '../helpers/traffic.ts';
import { downloadAcrossOutage, startSystem } from './harness.ts';
import { endpointAddresses, mptcpConnections, mptcpMib, socketsByLocalIp, tcpSockets } from './sockets.ts';

const toRemote = { peerIp: ADDR.gwRemotePublic, peerPort: MPRELAY_REMOTE_PORT };
const DATA_TABLE = 'mpl_paths_test_data';
/** Larger than any TCP packet without payload (IP 20 + TCP 20 + options up to 40, MPTCP's DSS among them). */
const DATA_PACKET_MIN_BYTES = 200;

/** Counts packets carrying data on link B (either way) from gw-local's point of view. */
async function countLinkBData(t: import('ava').ExecutionContext, topology: Topology): Promise<() => Promise<number>> {
  const ns = topology.ns.gwLocal;
  await nsRun(ns, 'nft', ['-f', '-'], {
    input: `table ip ${DATA_TABLE} {
  counter data {}
  chain rx { type filter hook prerouting priority -300; policy accept;
    iifname "${DEV.linkB}" meta l4proto tcp ip length > ${DATA_PACKET_MIN_BYTES} counter name data
  }
  chain tx { type filter hook postrouting priority 300; policy accept;
    oifname "${DEV.linkB}" meta l4proto tcp ip length > ${DATA_PACKET_MIN_BYTES} counter name data
  }
}
`,
  });
  t.teardown(() => nsRun(ns, 'nft', ['delete', 'table', 'ip', DATA_TABLE], { reject: false }));
  return async () => {
    const { stdout } = await nsRun(ns, 'nft', ['-j', 'list', 'counter', 'ip', DATA_TABLE, 'data']);
    const parsed = JSON.parse(String(stdout)) as { nftables: Array<{ counter?: { packets: number } }> };
    return parsed.nftables.find((item) => item.counter)?.counter?.packets ?? NaN;
  };
}

/** Every MPTCP connection of the local has one subflow on each link. */
async function joinedOnBothLinks(topology: Topology): Promise<boolean> {
  const connections = (await mptcpConnections(topology.ns.gwLocal, toRemote)).length;
  const subflows = await socketsByLocalIp(topology.ns.gwLocal, toRemote);
  return connections > 0 && subflows[ADDR.gwLocalLinkA] === connections && subflows[ADDR.gwLocalLinkB] === connections;
}

test.serial('mprelay path manager: every connection holds a backup subflow on link B; small requests put no byte on it; a long download is tried as bulk and link B carries part of it', async (t) => {
  const topology = await useTopology(t);
  const running = await startSystem(t, mprelayPaths, topology);
  // doctor --fix added link A's endpoint next to the lab's link-B one; the relay leaves both alone.
  const endpointsBefore = (await endpointAddresses(topology.ns.gwLocal)).sort();
  const server = await startTrafficServer(t, topology, running, 12 * 1024 * 1024);
  t.is(String((await nsRun(topology.ns.gwLocal, 'sysctl', ['-n', 'net.mptcp.path_manager'])).stdout).trim(), 'userspace');
  t.true(await waitUntil(() => joinedOnBothLinks(topology), 10_000), `subflows per link: ${JSON.stringify(await socketsByLocalIp(topology.ns.gwLocal, toRemote))}`);
  const backupJoins = await localMetric(topology, 'mprelay_path_changes_total', { link: 'b', change: 'join-backup', result: 'ok' });
  t.true(backupJoins >= 1, 'the link-B subflows joined as backup');

  const linkBData = await countLinkBData(t, topology);
  for (let i = 0; i < 10; i++) {
    const result = await upload(topology, running, server, 16 * 1024);
    t.true(result.ok && result.received?.sha256 === result.sha256, result.error);
  }
  t.is(await linkBData(), 0, 'ten 16 KB requests and their answers: no data packet on link B');
  t.is(await localMetric(topology, 'mprelay_bulk_events_total', { event: 'trial' }), 0);

  const big = await download(topology, running, server);
  t.true(big.ok && big.sha256 === server.downloadSha256, big.error);
  const onB = await linkBData();
  t.log(`12 MB download: ${onB} data packets on link B; bulk events ${JSON.stringify({ trial: await localMetric(topology, 'mprelay_bulk_events_total', { event: 'trial' }), kept: await localMetric(topology, 'mprelay_bulk_events_total', { event: 'kept' }), failed: await localMetric(topology, 'mprelay_bulk_events_total', { event: 'failed' }) })}`);
  t.is(await localMetric(topology, 'mprelay_bulk_events_total', { event: 'trial' }), 1, 'the download was tried as bulk once');
  t.true(onB > 500, 'link B carried part of it (12 MB is ~8600 packets)');
  t.is(await localMetric(topology, 'mprelay_path_changes_total', { result: 'failed' }), 0, 'the kernel took every command');
  await running.stop();
  t.deepEqual((await endpointAddresses(topology.ns.gwLocal)).sort(), endpointsBefore, "the kernel's endpoints are as they were");
  t.is(String((await nsRun(topology.ns.gwLocal, 'sysctl', ['-n', 'net.mptcp.path_manager'])).stdout).trim(), 'kernel', "the kernel's path manager again after stop");
});

test.serial("mprelay path manager: link A down -> each connection's A subflows removed with REMOVE_ADDR, the open download carries on over its backup subflow, a new connection works; A back -> every connection joins A again", async (t) => {
  const topology = await useTopology(t);
  const running = await startSystem(t, mprelayPaths, topology);
  const server = await startTrafficServer(t, topology, running);
  t.true(await waitUntil(async () => (await localMetric(topology, 'mprelay_link_up')) === 2, 5_000), 'the monitor sees both links up');
  t.true(await waitUntil(() => joinedOnBothLinks(topology), 10_000));
  const mibBefore = { remote: await mptcpMib(topology.ns.gwRemote), local: await mptcpMib(topology.ns.gwLocal) };

  const outage = await downloadAcrossOutage(t, topology, running, server);
  const noSubflowOnA = async () => ((await socketsByLocalIp(topology.ns.gwLocal, toRemote))[ADDR.gwLocalLinkA] ?? 0) === 0;
  t.true(await waitUntil(noSubflowOnA, 3_000, 20), 'no subflow left on link A');
  t.log(`link A's subflows gone ${Math.round(performance.now() - outage.offAtMs)} ms after the outage began (polled every 20 ms)`);
  const during = await download(topology, running, server, '/download', { maxTimeS: 10 });
  t.true(during.ok && during.sha256 === server.downloadSha256, `a new connection during the outage: ${during.error}`);
  const mibDuring = { remote: await mptcpMib(topology.ns.gwRemote), local: await mptcpMib(topology.ns.gwLocal) };
  const delta = (side: 'local' | 'remote', name: string) => (mibDuring[side].get(name) ?? 0) - (mibBefore[side].get(name) ?? 0);
  t.true(delta('local', 'RmAddrTx') >= 1, `the local sent REMOVE_ADDR (RmAddrTx +${delta('local', 'RmAddrTx')})`);
  t.true(delta('remote', 'RmAddr') >= 1, `which reached the remote over link B (RmAddr +${delta('remote', 'RmAddr')})`);
  t.deepEqual(await tcpSockets(topology.ns.gwRemote, { peerIp: ADDR.gwLocalLinkA, localPort: MPRELAY_REMOTE_PORT }), [], 'the remote has no subflow left on link A');
  t.true((await localMetric(topology, 'mprelay_path_changes_total', { link: 'a', change: 'remove', result: 'ok' })) >= 1);

  await outage.restore();
  t.true(await waitUntil(() => joinedOnBothLinks(topology), 10_000), `after the return every connection has a link-A subflow again: ${JSON.stringify(await socketsByLocalIp(topology.ns.gwLocal, toRemote))}`);
  const heldResult = await outage.held;
  t.true(heldResult.ok && heldResult.sha256 === server.downloadSha256, `the download open across the outage is intact: ${heldResult.error}`);
  t.true((await localMetric(topology, 'mprelay_path_changes_total', { link: 'a', change: 'join', result: 'ok' })) >= 1, 'link A joined again, sending');
  t.is(await localMetric(topology, 'mprelay_link_switches_total'), 0, 'no endpoint was changed');
});
