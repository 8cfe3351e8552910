import test from 'ava';
import { waitUntil } from '../../lab/systems/daemon.ts';
import { mptcpDirect } from '../../lab/systems/mptcp-direct.ts';
import { SystemStartError } from '../../lab/systems/system.ts';
import { nsRun } from '../../lab/topology/netns.ts';
import { ADDR } from '../../lab/topology/types.ts';
import { useTopology } from '../helpers/topology.ts';
import { assertBytesBothWays, download, SERVER_PORT, startTrafficServer } from '../helpers/traffic.ts';
import { assertMptcpPerConnectionFailover, recordFailover } from './failover.ts';
import { countTcpPerLink, packetsBetween, startSystem } from './harness.ts';
import { mptcpConnections, socketsByLocalIp } from './sockets.ts';

const JOIN_TIMEOUT_MS = 10_000;

test.serial('mptcp-direct: bytes both ways; the client opens a subflow from its second address over link B', async (t) => {
  const topology = await useTopology(t);
  const running = await startSystem(t, mptcpDirect, topology);
  t.deepEqual(running.wrap, { client: ['mptcpize', 'run'], server: ['mptcpize', 'run'] });
  const server = await startTrafficServer(t, topology, running);
  const tcpPerLink = await countTcpPerLink(t, topology);
  const before = await tcpPerLink();

  t.is(await assertBytesBothWays(t, topology, running, server), ADDR.gwLocalLinkA, 'the initial subflow leaves over link A');
  const moved = packetsBetween(before, await tcpPerLink());
  t.true(moved.a.rx > 0 && moved.b.rx > 0, `TCP packets arrived over both links: ${JSON.stringify(moved)}`);

  // One open connection: one MPTCP connection on each end, a subflow per client address.
  const held = download(topology, running, server, '/hold');
  t.true(await server.waitHeld(1));
  const toServer = { peerIp: ADDR.server, peerPort: SERVER_PORT };
  const joined = await waitUntil(async () => (await socketsByLocalIp(topology.ns.client, toServer))[ADDR.clientB] === 1, JOIN_TIMEOUT_MS);
  t.true(joined, 'a subflow from 192.168.2.2 joined');
  t.is((await mptcpConnections(topology.ns.client, toServer)).length, 1);
  t.deepEqual(await socketsByLocalIp(topology.ns.client, toServer), { [ADDR.client]: 1, [ADDR.clientB]: 1 });
  // gw-local NATs each subflow to its own link's address: the server sees both links.
  const atServer = (await nsRun(topology.ns.server, 'ss', ['-Htn', 'state', 'established', `sport = :${SERVER_PORT}`])).stdout;
  t.regex(String(atServer), /100\.64\.1\.2:/);
  t.regex(String(atServer), /100\.64\.2\.2:/);
  t.is((await mptcpConnections(topology.ns.server, { localPort: SERVER_PORT })).length, 1);
  server.release();
  const result = await held;
  t.true(result.ok && result.sha256 === server.downloadSha256);
});

test.serial('mptcp-direct: link A outage moves the open connection to link B; new connections wait for link A', async (t) => {
  const topology = await useTopology(t);
  const running = await startSystem(t, mptcpDirect, topology);
  const server = await startTrafficServer(t, topology, running);
  const record = await recordFailover(t, topology, running, server, await countTcpPerLink(t, topology));
  assertMptcpPerConnectionFailover(t, record);
});

test.serial('mptcp-direct: refuses to start without the client subflow endpoint', async (t) => {
  const topology = await useTopology(t);
  await nsRun(topology.ns.client, 'ip', ['mptcp', 'endpoint', 'flush']);
  const error = await t.throwsAsync(mptcpDirect.start(topology, topology.runDir), { instanceOf: SystemStartError });
  t.is(error?.system, 'mptcp-direct');
  t.regex(error?.message ?? '', /subflow endpoint 192\.168\.2\.2/);
});
