import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { tcpListening, waitUntil } from '../../lab/systems/daemon.ts';
import { REDSOCKS_PORT } from '../../lab/systems/redsocks.ts';
import { SERVER_ALIVE_COUNT_MAX, SERVER_ALIVE_INTERVAL_S, SSH_PORT } from '../../lab/systems/ssh.ts';
import { sshTunnel } from '../../lab/systems/ssh-tunnel.ts';
import { SystemStartError } from '../../lab/systems/system.ts';
import { ADDR, type Topology } from '../../lab/topology/types.ts';
import { useTopology } from '../helpers/topology.ts';
import { assertBytesBothWays, download, SERVER_PORT, startTrafficServer } from '../helpers/traffic.ts';
import { recordFailover } from './failover.ts';
import { assertStopsClean, countTcpPerLink, extraTables, logDirOf, occupyPort, pidsIn, pidsLeft, startSystem } from './harness.ts';
import { mptcpConnections, socketsByLocalIp, tcpSockets } from './sockets.ts';

const CLIENT_CONNECTIONS = 4;
const JOIN_TIMEOUT_MS = 10_000;
const toSshd = { peerIp: ADDR.gwRemotePublic, peerPort: SSH_PORT };

/** Pids of the ssh clients (autossh's children) in gw-local. */
async function sshClientPids(topology: Topology): Promise<number[]> {
  const pids = await pidsIn(topology.ns.gwLocal);
  const comms = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')));
  return pids.filter((_, i) => comms[i]!.trim() === 'ssh');
}

test.serial('ssh-tunnel: bytes both ways; every client connection shares one MPTCP SSH connection with a subflow on each link', async (t) => {
  const topology = await useTopology(t);
  const pidsBefore = await pidsLeft(topology);
  const running = await startSystem(t, sshTunnel, topology);
  const server = await startTrafficServer(t, topology, running);
  t.is(await assertBytesBothWays(t, topology, running, server), ADDR.gwRemoteWan, 'the server sees sshd on gw-remote');

  const held = Array.from({ length: CLIENT_CONNECTIONS }, () => download(topology, running, server, '/hold'));
  t.true(await server.waitHeld(CLIENT_CONNECTIONS));
  t.is((await tcpSockets(topology.ns.gwLocal, { localPort: REDSOCKS_PORT })).length, CLIENT_CONNECTIONS, 'redsocks holds every client connection');
  t.is((await tcpSockets(topology.ns.server, { localPort: SERVER_PORT })).length, CLIENT_CONNECTIONS);

  const joined = await waitUntil(async () => Object.keys(await socketsByLocalIp(topology.ns.gwLocal, toSshd)).length === 2, JOIN_TIMEOUT_MS);
  t.true(joined, 'the SSH connection has a second subflow');
  t.is((await mptcpConnections(topology.ns.gwLocal, toSshd)).length, 1, 'exactly one WAN connection from gw-local');
  t.is((await mptcpConnections(topology.ns.gwRemote, { localPort: SSH_PORT })).length, 1, 'exactly one at gw-remote');
  t.deepEqual(await socketsByLocalIp(topology.ns.gwLocal, { peerIp: ADDR.gwRemotePublic }), { [ADDR.gwLocalLinkA]: 1, [ADDR.gwLocalLinkB]: 1 }, 'one subflow per link, nothing else on the WAN');

  server.release();
  for (const result of await Promise.all(held)) t.true(result.ok && result.sha256 === server.downloadSha256, result.error);
  await assertStopsClean(t, topology, running, [...pidsBefore, server.pid]);
});

test.serial('ssh-tunnel: link A outage: the SSH connection moves to link B, connections old and new carry on, ssh is not restarted', async (t) => {
  const topology = await useTopology(t);
  const running = await startSystem(t, sshTunnel, topology);
  const server = await startTrafficServer(t, topology, running);
  t.true(await waitUntil(async () => Object.keys(await socketsByLocalIp(topology.ns.gwLocal, toSshd)).length === 2, JOIN_TIMEOUT_MS));
  const sshBefore = await sshClientPids(topology);
  const record = await recordFailover(t, topology, running, server, await countTcpPerLink(t, topology));
  t.true(record.openConnectionDeliveredDuringOutage);
  t.true(record.newConnectionDuringOutage, 'a new client connection rides the existing SSH connection');
  t.true(record.openConnectionSurvived);
  t.true(record.newConnectionAfterOutage);
  t.true(record.tcpPacketsDuringOutage.b.rx > 0);
  t.deepEqual(await sshClientPids(topology), sshBefore, 'the same ssh process throughout');
});

test.serial('ssh-tunnel: when both links fail, ssh gives up and autossh reconnects once they return', async (t) => {
  const topology = await useTopology(t);
  const running = await startSystem(t, sshTunnel, topology);
  const server = await startTrafficServer(t, topology, running);
  const [sshBefore] = await sshClientPids(topology);
  t.truthy(sshBefore);
  const log = path.join(logDirOf(topology, 'ssh-tunnel'), 'autossh.log');

  await Promise.all([topology.links.a.setOutage(true), topology.links.b.setOutage(true)]);
  let restored = false;
  t.teardown(() => (restored ? undefined : Promise.all([topology.links.a.setOutage(false), topology.links.b.setOutage(false)])));
  // After SERVER_ALIVE_COUNT_MAX unanswered probes ssh exits 255 and autossh starts another.
  const probesTimeoutMs = SERVER_ALIVE_INTERVAL_S * SERVER_ALIVE_COUNT_MAX * 1000;
  const restarted = await waitUntil(async () => /ssh exited with error status 255; restarting ssh/.test(await readFile(log, 'utf8')), probesTimeoutMs + 15_000);
  await Promise.all([topology.links.a.setOutage(false), topology.links.b.setOutage(false)]);
  restored = true;
  t.true(restarted, 'autossh saw ssh fail and restarted it');

  const reconnected = await waitUntil(async () => tcpListening(topology.ns.gwLocal, '127.0.0.1', 1080), 30_000);
  t.true(reconnected, 'the SOCKS port is back');
  const [sshAfter] = await sshClientPids(topology);
  t.not(sshAfter, sshBefore, 'a new ssh process');
  const after = await download(topology, running, server);
  t.true(after.ok && after.sha256 === server.downloadSha256, after.error);
  t.is((await mptcpConnections(topology.ns.gwLocal, toSshd)).length, 1, 'again exactly one WAN connection');
  t.log(`autossh log:\n${(await readFile(log, 'utf8')).split('\n').filter((line) => line.includes('autossh')).join('\n')}`);
});

test.serial('ssh-tunnel: a program that cannot start fails the start with its log tail, nothing left running', async (t) => {
  const topology = await useTopology(t);
  const before = await pidsLeft(topology);
  const blocker = await occupyPort(t, topology.ns.gwLocal, ADDR.gwLocalLan, REDSOCKS_PORT);
  const error = await t.throwsAsync(sshTunnel.start(topology, logDirOf(topology, 'ssh-tunnel')), { instanceOf: SystemStartError });
  t.is(error?.system, 'ssh-tunnel');
  t.regex(error?.message ?? '', /redsocks exited/);
  t.regex(error?.logTail ?? '', /Address already in use/);
  t.deepEqual(await pidsLeft(topology, [...before, blocker]), [], 'sshd and autossh (and its ssh) were stopped');
  t.deepEqual(await extraTables(topology), [], 'no nftables table left');
});
