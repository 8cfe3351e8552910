// mprelay in the lab topology: real curl in the client namespace, the real traffic
// server in the server namespace, both relay sides started by the adapter with the CLI.
import test from 'ava';
import { waitUntil } from '../../lab/systems/daemon.ts';
import { readFile } from 'node:fs/promises';
import { localMetric, mprelay, MPRELAY_CLI, mprelaySystem, MPRELAY_LOCAL_PORT, MPRELAY_POOL, MPRELAY_REMOTE_PORT, type MprelayLauncher } from '../../lab/systems/mprelay.ts';
import { SystemStartError } from '../../lab/systems/system.ts';
import { nsRun } from '../../lab/topology/netns.ts';
import { ADDR, DEV, type Topology } from '../../lab/topology/types.ts';
import { useTopology } from '../helpers/topology.ts';
import { assertBytesBothWays, download, startTrafficServer } from '../helpers/traffic.ts';
import { assertStopsClean, extraTables, logDirOf, occupyPort, pidsLeft, startSystem } from './harness.ts';
import { mptcpConnections, socketsByLocalIp, tcpSockets } from './sockets.ts';

const HELD = 3;
const toRemote = { peerIp: ADDR.gwRemotePublic, peerPort: MPRELAY_REMOTE_PORT };
const SYN_TABLE = 'mpl_mprelay_test_syn';

/** The capabilities the shipped local unit grants (AmbientCapabilities=), as setpriv names them. */
async function localUnitCapabilities(): Promise<string[]> {
  const unit = await readFile('relay/systemd/mprelay-local.service', 'utf8');
  return (/^AmbientCapabilities=(.*)$/m.exec(unit)?.[1] ?? '').split(/\s+/).filter(Boolean).map((cap) => cap.replace(/^CAP_/, '').toLowerCase());
}

/** Runs the compiled CLI with only `caps` (uid 0 gets no capabilities of its own: noroot), as the unit would. */
function withOnly(caps: readonly string[]): MprelayLauncher {
  const set = ['-all', ...caps.map((cap) => `+${cap}`)].join(',');
  return {
    command: 'setpriv',
    args: ['--securebits=+noroot,+noroot_locked', `--inh-caps=${set}`, `--ambient-caps=${set}`, `--bounding-set=${set}`, '--no-new-privs', process.execPath, MPRELAY_CLI],
  };
}

test.serial('mprelay TPROXY without CAP_NET_ADMIN cannot start (IP_TRANSPARENT): the reason the local unit keeps it', async (t) => {
  const topology = await useTopology(t);
  const error = await t.throwsAsync(mprelaySystem('tproxy', withOnly([])).start(topology, logDirOf(topology, 'mprelay')), { instanceOf: SystemStartError });
  t.regex(error?.logTail ?? '', /setsockopt\(IP_TRANSPARENT\) failed: EPERM/);
});

test.serial("mprelay with TPROXY interception, with only the local unit's capabilities: the destination is the socket address (no NAT), bytes both ways, routing undone on stop", async (t) => {
  const topology = await useTopology(t);
  t.deepEqual(await localUnitCapabilities(), ['net_admin']);
  const running = await startSystem(t, mprelaySystem('tproxy', withOnly(await localUnitCapabilities())), topology);
  const server = await startTrafficServer(t, topology, running);
  t.is(await assertBytesBothWays(t, topology, running, server), ADDR.gwRemoteWan, 'the server sees gw-remote');
  const { stdout: conntrack } = await nsRun(topology.ns.gwLocal, 'nft', ['list', 'table', 'inet', 'mplab_mprelay']);
  t.regex(String(conntrack), /tproxy ip to :\d+ counter packets [1-9]/, 'the TPROXY rule carried the client connections');
  await running.stop();
  const { stdout: rules } = await nsRun(topology.ns.gwLocal, 'ip', ['rule', 'show']);
  t.notRegex(String(rules), /fwmark/, 'the TPROXY policy rule is removed on stop');
});

test.serial('mprelay: bytes both ways through curl; every MPTCP connection has a subflow on each link; stops clean', async (t) => {
  const topology = await useTopology(t);
  const pidsBefore = await pidsLeft(topology);
  const running = await startSystem(t, mprelay, topology);
  const server = await startTrafficServer(t, topology, running);
  t.is(await assertBytesBothWays(t, topology, running, server), ADDR.gwRemoteWan, 'the server sees gw-remote');

  const held = Array.from({ length: HELD }, () => download(topology, running, server, '/hold'));
  t.true(await server.waitHeld(HELD));
  t.is((await tcpSockets(topology.ns.gwLocal, { localPort: MPRELAY_LOCAL_PORT })).length, HELD, 'the client connections reach the local relay');
  // Pooled (idle) and in-use connections alike: each MPTCP connection has one subflow per link.
  const joined = async () => {
    const connections = (await mptcpConnections(topology.ns.gwLocal, toRemote)).length;
    const subflows = await socketsByLocalIp(topology.ns.gwLocal, toRemote);
    return connections >= HELD + 1 && subflows[ADDR.gwLocalLinkA] === connections && subflows[ADDR.gwLocalLinkB] === connections;
  };
  t.true(await waitUntil(joined, 10_000), `subflows per link: ${JSON.stringify(await socketsByLocalIp(topology.ns.gwLocal, toRemote))}`);
  t.true((await localMetric(topology, 'mprelay_active_connections')) >= HELD);
  server.release();
  for (const result of await Promise.all(held)) t.true(result.ok && result.sha256 === server.downloadSha256, result.error);
  await assertStopsClean(t, topology, running, [...pidsBefore, server.pid]);
});

/** Counts SYNs (without ACK) that gw-local sends on either link. */
async function countWanSyns(t: import('ava').ExecutionContext, topology: Topology): Promise<() => Promise<number>> {
  const ns = topology.ns.gwLocal;
  await nsRun(ns, 'nft', ['-f', '-'], {
    input: `table ip ${SYN_TABLE} {
  counter syn {}
  chain tx { type filter hook postrouting priority 300; policy accept;
    oifname { "${DEV.linkA}", "${DEV.linkB}" } tcp flags & (syn | ack) == syn counter name syn
  }
}
`,
  });
  t.teardown(() => nsRun(ns, 'nft', ['delete', 'table', 'ip', SYN_TABLE], { reject: false }));
  return async () => {
    const { stdout } = await nsRun(ns, 'nft', ['-j', 'list', 'counter', 'ip', SYN_TABLE, 'syn']);
    const parsed = JSON.parse(String(stdout)) as { nftables: Array<{ counter?: { packets: number } }> };
    return parsed.nftables.find((item) => item.counter)?.counter?.packets ?? NaN;
  };
}

test.serial('mprelay: a pool hit sends no SYN on the WAN for the client connection (only the pool refills do)', async (t) => {
  const topology = await useTopology(t);
  const running = await startSystem(t, mprelay, topology);
  const server = await startTrafficServer(t, topology, running, 64 * 1024);
  const syns = await countWanSyns(t, topology);
  const settled = async () => (await localMetric(topology, 'mprelay_pool_idle')) >= MPRELAY_POOL.min;
  t.true(await waitUntil(settled, 10_000));
  const before = {
    syns: await syns(),
    hits: await localMetric(topology, 'mprelay_pool_hits_total'),
    misses: await localMetric(topology, 'mprelay_pool_misses_total'),
    byPool: await localMetric(topology, 'mprelay_upstream_opened_total', { by: 'pool' }),
  };
  const runs = 3;
  for (let i = 0; i < runs; i++) {
    const result = await download(topology, running, server);
    t.true(result.ok && result.sha256 === server.downloadSha256, result.error);
    t.true(await waitUntil(settled, 10_000), 'the pool refilled');
  }
  const after = {
    syns: await syns(),
    hits: await localMetric(topology, 'mprelay_pool_hits_total'),
    misses: await localMetric(topology, 'mprelay_pool_misses_total'),
    byPool: await localMetric(topology, 'mprelay_upstream_opened_total', { by: 'pool' }),
  };
  t.is(after.hits - before.hits, runs, 'every client connection was a pool hit');
  t.is(after.misses - before.misses, 0);
  // Each pool connection costs two SYNs (MP_CAPABLE on link A, MP_JOIN on link B); nothing else sent one.
  t.true(after.byPool - before.byPool >= runs, 'the pool refilled what was taken');
  t.is(after.syns - before.syns, 2 * (after.byPool - before.byPool));
  t.log(`${runs} client connections: ${after.syns - before.syns} WAN SYNs, all from ${after.byPool - before.byPool} pool refills`);
});

test.serial('mprelay: a remote that cannot bind fails the start with its log tail, nothing left running', async (t) => {
  const topology = await useTopology(t);
  const before = await pidsLeft(topology);
  const blocker = await occupyPort(t, topology.ns.gwRemote, ADDR.gwRemotePublic, MPRELAY_REMOTE_PORT);
  const error = await t.throwsAsync(mprelay.start(topology, logDirOf(topology, 'mprelay')), { instanceOf: SystemStartError });
  t.is(error?.system, 'mprelay');
  t.is(error?.reason, 'mprelay remote exited (exit code 1)');
  t.regex(error?.logTail ?? '', /EADDRINUSE/);
  t.deepEqual(await pidsLeft(topology, [...before, blocker]), [], 'nothing of the system is left running');
  t.deepEqual(await extraTables(topology), [], 'no nftables table left');
});
