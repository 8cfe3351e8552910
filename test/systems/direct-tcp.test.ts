import test from 'ava';
import { directTcp, directTcpB } from '../../lab/systems/direct-tcp.ts';
import { ADDR } from '../../lab/topology/types.ts';
import { useTopology } from '../helpers/topology.ts';
import { assertBytesBothWays, startTrafficServer } from '../helpers/traffic.ts';
import { recordFailover } from './failover.ts';
import { countTcpPerLink, packetsBetween, startSystem } from './harness.ts';
import { mptcpConnections } from './sockets.ts';

test.serial('direct-tcp: bytes both ways over link A only, plain TCP, NATed to link A', async (t) => {
  const topology = await useTopology(t);
  const running = await startSystem(t, directTcp, topology);
  t.deepEqual(running.wrap, { client: [], server: [] });
  const server = await startTrafficServer(t, topology, running);
  const tcpPerLink = await countTcpPerLink(t, topology);
  const before = await tcpPerLink();
  const linkABefore = await topology.links.a.counters();

  const peer = await assertBytesBothWays(t, topology, running, server);
  t.is(peer, ADDR.gwLocalLinkA, 'the server sees the home through link A (NAT)');

  const moved = packetsBetween(before, await tcpPerLink());
  t.deepEqual(moved.b, { rx: 0, tx: 0 }, 'no TCP packet crossed link B');
  t.true(moved.a.rx > 0 && moved.a.tx > 0);
  const linkA = await topology.links.a.counters();
  // 2 MiB each way crossed link A, headers on top.
  t.true(linkA.down.sentBytes - linkABefore.down.sentBytes > server.downloadBytes);
  t.true(linkA.up.sentBytes - linkABefore.up.sentBytes > server.downloadBytes);
  t.deepEqual(await mptcpConnections(topology.ns.client, {}), [], 'no MPTCP anywhere on the client');
});

test.serial('direct-tcp: link A outage stalls everything; the open connection resumes when the link returns', async (t) => {
  const topology = await useTopology(t);
  const running = await startSystem(t, directTcp, topology);
  const server = await startTrafficServer(t, topology, running);
  const record = await recordFailover(t, topology, running, server, await countTcpPerLink(t, topology));
  t.false(record.openConnectionDeliveredDuringOutage);
  t.false(record.newConnectionDuringOutage);
  t.true(record.openConnectionSurvived, 'TCP retransmits once link A is back');
  t.true(record.newConnectionAfterOutage);
  t.deepEqual(record.tcpPacketsDuringOutage.b, { rx: 0, tx: 0 }, 'nothing tried link B');
  t.is(record.tcpPacketsDuringOutage.a.rx, 0, 'nothing arrived over the dead link');
});

test.serial('direct-tcp-b: bytes both ways over link B only, NATed to link B; stopped, the LAN takes link A again', async (t) => {
  const topology = await useTopology(t);
  const running = await startSystem(t, directTcpB, topology);
  t.deepEqual(running.wrap, { client: [], server: [] });
  const server = await startTrafficServer(t, topology, running);
  const tcpPerLink = await countTcpPerLink(t, topology);
  const before = await tcpPerLink();

  t.is(await assertBytesBothWays(t, topology, running, server), ADDR.gwLocalLinkB, 'the server sees the home through link B (NAT)');
  const moved = packetsBetween(before, await tcpPerLink());
  t.deepEqual(moved.a, { rx: 0, tx: 0 }, 'no TCP packet crossed link A');
  t.true(moved.b.rx > 0 && moved.b.tx > 0);

  await running.stop();
  await running.stop();
  t.is(await assertBytesBothWays(t, topology, running, server), ADDR.gwLocalLinkA, 'the rule is gone: link A, the default route, again');
});
