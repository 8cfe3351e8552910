// The tests shared by the two baselines in which redsocks opens one MPTCP connection
// per client connection to a SOCKS server on gw-remote's public address (danted, or
// `ssh -D` there). Each test file registers them for its adapter.
import test from 'ava';
import { waitUntil } from '../../lab/systems/daemon.ts';
import { REDSOCKS_PORT } from '../../lab/systems/redsocks.ts';
import { SystemStartError, type SystemAdapter } from '../../lab/systems/system.ts';
import { ADDR } from '../../lab/topology/types.ts';
import { useTopology } from '../helpers/topology.ts';
import { assertBytesBothWays, download, startTrafficServer } from '../helpers/traffic.ts';
import { assertMptcpPerConnectionFailover, recordFailover } from './failover.ts';
import { assertStopsClean, countTcpPerLink, extraTables, logDirOf, occupyPort, pidsLeft, startSystem } from './harness.ts';
import { mptcpConnections, socketsByLocalIp, tcpSockets } from './sockets.ts';

const CLIENT_CONNECTIONS = 4;
const JOIN_TIMEOUT_MS = 10_000;

export interface SocksBaseline {
  adapter: SystemAdapter;
  socksPort: number;
  /** Label of the daemon that serves SOCKS on gw-remote, as named in start errors. */
  socksDaemonLabel: string;
}

export function registerSocksPerConnectionTests({ adapter, socksPort, socksDaemonLabel }: SocksBaseline): void {
  const name = adapter.name;
  const toSocks = { peerIp: ADDR.gwRemotePublic, peerPort: socksPort };

  test.serial(`${name}: bytes both ways; one MPTCP connection per client connection, each with a subflow on each link`, async (t) => {
    const topology = await useTopology(t);
    const pidsBefore = await pidsLeft(topology);
    const running = await startSystem(t, adapter, topology);
    const server = await startTrafficServer(t, topology, running);
    t.is(await assertBytesBothWays(t, topology, running, server), ADDR.gwRemoteWan, 'the server sees gw-remote');

    const held = Array.from({ length: CLIENT_CONNECTIONS }, () => download(topology, running, server, '/hold'));
    t.true(await server.waitHeld(CLIENT_CONNECTIONS));
    t.is((await tcpSockets(topology.ns.gwLocal, { localPort: REDSOCKS_PORT })).length, CLIENT_CONNECTIONS);
    const allJoined = async () => {
      const subflows = await socketsByLocalIp(topology.ns.gwLocal, toSocks);
      return subflows[ADDR.gwLocalLinkA] === CLIENT_CONNECTIONS && subflows[ADDR.gwLocalLinkB] === CLIENT_CONNECTIONS;
    };
    t.true(await waitUntil(allJoined, JOIN_TIMEOUT_MS), `every connection has a subflow on each link: ${JSON.stringify(await socketsByLocalIp(topology.ns.gwLocal, toSocks))}`);
    t.is((await mptcpConnections(topology.ns.gwLocal, toSocks)).length, CLIENT_CONNECTIONS, 'one MPTCP connection per client connection at gw-local');
    t.is((await mptcpConnections(topology.ns.gwRemote, { localPort: socksPort })).length, CLIENT_CONNECTIONS, 'and at gw-remote');

    server.release();
    for (const result of await Promise.all(held)) t.true(result.ok && result.sha256 === server.downloadSha256, result.error);
    await assertStopsClean(t, topology, running, [...pidsBefore, server.pid]);
  });

  test.serial(`${name}: link A outage moves open connections to link B; a new connection needs link A for its first subflow`, async (t) => {
    const topology = await useTopology(t);
    const running = await startSystem(t, adapter, topology);
    const server = await startTrafficServer(t, topology, running);
    const record = await recordFailover(t, topology, running, server, await countTcpPerLink(t, topology));
    assertMptcpPerConnectionFailover(t, record);
  });

  test.serial(`${name}: a SOCKS server that cannot start fails the start with its log tail, nothing left running`, async (t) => {
    const topology = await useTopology(t);
    const before = await pidsLeft(topology);
    const blocker = await occupyPort(t, topology.ns.gwRemote, ADDR.gwRemotePublic, socksPort);
    const error = await t.throwsAsync(adapter.start(topology, logDirOf(topology, name)), { instanceOf: SystemStartError });
    t.is(error?.system, name);
    t.regex(error?.message ?? '', new RegExp(`${socksDaemonLabel} exited`));
    t.regex(error?.logTail ?? '', /Address already in use/);
    t.deepEqual(await pidsLeft(topology, [...before, blocker]), [], 'nothing of the system is left running');
    t.deepEqual(await extraTables(topology), [], 'no nftables table left');
  });
}
