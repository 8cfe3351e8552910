// mprelay in the lab topology: real curl in the client namespace, the real traffic
// server in the server namespace, both relay sides started by the adapter with the CLI.
import test from 'ava';
import { execa } from 'execa';
import { waitUntil } from '../../lab/systems/daemon.ts';
import { readFile } from 'node:fs/promises';
import { localMetric, mprelay, MPRELAY_CLI, subflowSendBufferBytes, mprelayKernelDefaults, mprelayNoMonitor, mprelaySystem, MPRELAY_LOCAL_PORT, MPRELAY_POOL, MPRELAY_REMOTE_PORT, type MprelayLauncher } from '../../lab/systems/mprelay.ts';
import { SystemStartError } from '../../lab/systems/system.ts';
import { nsRun } from '../../lab/topology/netns.ts';
import { ADDR, DEV, type Topology } from '../../lab/topology/types.ts';
import { testScenario, useTopology } from '../helpers/topology.ts';
import { workloadBench } from '../workloads/bench.ts';
import { PROBE_TARGET } from '../../lab/workloads/probes.ts';
import { sumBins } from '../../lab/workloads/goodput.ts';
import { monotonicMs } from '../../lab/workloads/probe/clock.ts';
import { waitForQuietLinks } from '../../lab/topology/quiet.ts';
import { baseRttMs, serialisationMs } from '../../lab/links/model.ts';
import { assertBytesBothWays, download, startTrafficServer } from '../helpers/traffic.ts';
import { assertStopsClean, downloadAcrossOutage, extraTables, logDirOf, occupyPort, pidsLeft, startSystem } from './harness.ts';
import { endpointAddresses, mptcpConnections, mptcpMib, socketsByLocalIp, tcpSockets } from './sockets.ts';

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

test('the subflow send buffer ceiling doctor is given: twice the largest link and direction bandwidth-delay product with its queue, at least 256 KiB', async (t) => {
  const lossy = await testScenario('lossy-wisp');
  const linkADown = lossy.links.a.down;
  const bdp = (linkADown.rateBitsPerSec / 8) * ((lossy.links.a.down.delayMs + lossy.links.a.up.delayMs + 2 * linkADown.jitterMs) / 1000) + linkADown.queueBytes;
  t.is(subflowSendBufferBytes([lossy.links.a, lossy.links.b]), Math.ceil(2 * bdp), "link A's download direction is the largest");
  const tiny = { ...lossy.links.b, down: { ...lossy.links.b.down, queueBytes: 1000 }, up: { ...lossy.links.b.up, queueBytes: 1000 } };
  t.is(subflowSendBufferBytes([tiny]), 256 * 1024);
});

test.serial("the ablations relay as mprelay does, each without its part: no link monitor; doctor's failover settings at the kernel's defaults", async (t) => {
  const topology = await useTopology(t);
  const sysctl = async (ns: string, name: string) => String((await nsRun(ns, 'sysctl', ['-n', name])).stdout).trim().replace(/\s+/g, ' ');
  const kernelDefault = String((await execa('unshare', ['--net', 'sysctl', '-n', 'net.mptcp.stale_loss_cnt'])).stdout).trim();
  const kernelWmem = String((await execa('unshare', ['--net', 'sysctl', '-n', 'net.ipv4.tcp_wmem'])).stdout).trim().replace(/\s+/g, ' ');
  t.not(kernelDefault, '2', "the kernel's default is not doctor's");
  const ceiling = subflowSendBufferBytes(Object.values(topology.links).map((link) => link.model));
  const noMonitor = await startSystem(t, mprelayNoMonitor, topology);
  const server = await startTrafficServer(t, topology, noMonitor);
  await assertBytesBothWays(t, topology, noMonitor, server);
  t.true((await localMetric(topology, 'mprelay_fresh_connections_total', { link: 'route' })) > 0, 'new connections where routing says');
  t.is(await localMetric(topology, 'mprelay_link_up'), 0, 'no link monitored');
  t.is(String((await nsRun(topology.ns.gwLocal, 'sysctl', ['-n', 'net.mptcp.stale_loss_cnt'])).stdout).trim(), '2', "doctor's setting");
  for (const ns of [topology.ns.gwLocal, topology.ns.gwRemote]) t.is((await sysctl(ns, 'net.ipv4.tcp_wmem')).split(' ')[2], String(ceiling), "doctor's subflow send buffer ceiling");
  await noMonitor.stop();
  const defaults = await startSystem(t, mprelayKernelDefaults, topology);
  for (const ns of [topology.ns.gwLocal, topology.ns.gwRemote]) {
    t.is(await sysctl(ns, 'net.mptcp.stale_loss_cnt'), kernelDefault);
    t.is(await sysctl(ns, 'net.ipv4.tcp_wmem'), kernelWmem);
  }
  t.true(await waitUntil(async () => (await localMetric(topology, 'mprelay_link_up')) === 2, 5_000), 'the monitor runs: both links up');
  await assertBytesBothWays(t, topology, defaults, server);
  t.is(String((await nsRun(topology.ns.gwLocal, 'sysctl', ['-n', 'net.mptcp.path_manager'])).stdout).trim(), 'kernel', "the kernel's path manager, as mprelay has it");
  t.is(await localMetric(topology, 'mprelay_path_changes_total'), 0, 'the relay gave no subflow command');
  await defaults.stop();
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

test.serial("mprelay: a page load's 6 connections at once find the pool short once; after the rate window has passed, the next 6 are all hits (the pool holds the last burst)", async (t) => {
  const topology = await useTopology(t);
  const running = await startSystem(t, mprelay, topology);
  const server = await startTrafficServer(t, topology, running, 16 * 1024);
  const counts = async () => ({ hits: await localMetric(topology, 'mprelay_pool_hits_total'), misses: await localMetric(topology, 'mprelay_pool_misses_total') });
  // One curl opening 6 connections at once, as a browser does for a page's objects.
  const pageLoad = async () => {
    const urls = Array.from({ length: 6 }, () => ['-o', '/dev/null', `${server.url}/download`]).flat();
    const result = await nsRun(topology.ns.client, 'curl', ['-sS', '--fail', '--max-time', '30', '--parallel', '--parallel-immediate', '--parallel-max', '6', ...urls], { reject: false });
    t.is(result.exitCode, 0, String(result.stderr));
  };
  const start = await counts();
  await pageLoad();
  const first = await counts();
  t.is(first.hits - start.hits + first.misses - start.misses, 6);
  t.is(first.hits - start.hits, MPRELAY_POOL.min, 'the first burst finds the floor');
  // Past the rate window the mean rate alone asks for the floor; the burst memory keeps 6.
  await new Promise((resolve) => setTimeout(resolve, MPRELAY_POOL.rateWindowMs + 1_000));
  t.true(await waitUntil(async () => (await localMetric(topology, 'mprelay_pool_idle')) >= 6, 10_000), 'the pool holds 6');
  await pageLoad();
  const second = await counts();
  t.deepEqual({ hits: second.hits - first.hits, misses: second.misses - first.misses }, { hits: 6, misses: 0 });
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

/** MPTcpExt counters of a namespace (since it was made). */
test.serial("mprelay: link A down -> its endpoint is taken off, the remote receives REMOVE_ADDR and drops the A subflows, the open download carries on, a new connection opens over B; A back -> endpoint and A subflows return; stop leaves the endpoints as they were", async (t) => {
  const topology = await useTopology(t);
  const running = await startSystem(t, mprelay, topology);
  const server = await startTrafficServer(t, topology, running);
  const linksUp = async () => (await localMetric(topology, 'mprelay_link_up')) === 2;
  t.true(await waitUntil(linksUp, 5_000), 'the monitor sees both links up');
  t.deepEqual((await endpointAddresses(topology.ns.gwLocal)).sort(), [ADDR.gwLocalLinkA, ADDR.gwLocalLinkB], 'doctor --fix added the link-A endpoint next to the lab’s link-B one');
  const mibBefore = { remote: await mptcpMib(topology.ns.gwRemote), local: await mptcpMib(topology.ns.gwLocal) };

  const outage = await downloadAcrossOutage(t, topology, running, server);
  t.true(await waitUntil(async () => !(await endpointAddresses(topology.ns.gwLocal)).includes(ADDR.gwLocalLinkA), 3_000, 20), 'link A’s endpoint is taken off');
  t.log(`link A's endpoint off ${Math.round(performance.now() - outage.offAtMs)} ms after the outage began (polled every 20 ms)`);
  const during = await download(topology, running, server, '/download', { maxTimeS: 10 });
  t.true(during.ok && during.sha256 === server.downloadSha256, `a new connection during the outage: ${during.error}`);
  const mibDuring = { remote: await mptcpMib(topology.ns.gwRemote), local: await mptcpMib(topology.ns.gwLocal) };
  const delta = (side: 'local' | 'remote', name: string) => (mibDuring[side].get(name) ?? 0) - (mibBefore[side].get(name) ?? 0);
  t.true(delta('local', 'RmSubflow') >= 1, `the local closed its link-A subflows (RmSubflow +${delta('local', 'RmSubflow')})`);
  t.true(delta('local', 'RmAddrTx') >= 1, `and sent REMOVE_ADDR (RmAddrTx +${delta('local', 'RmAddrTx')})`);
  t.true(delta('remote', 'RmAddr') >= 1, `which reached the remote over link B (RmAddr +${delta('remote', 'RmAddr')})`);
  t.deepEqual(await tcpSockets(topology.ns.gwRemote, { peerIp: ADDR.gwLocalLinkA, localPort: MPRELAY_REMOTE_PORT }), [], 'the remote has no subflow left on link A');
  t.log(`MIB during the outage: local RmSubflow +${delta('local', 'RmSubflow')}, RmAddrTx +${delta('local', 'RmAddrTx')}; remote RmAddr +${delta('remote', 'RmAddr')}, SubflowStale +${delta('remote', 'SubflowStale')}`);
  t.is(await localMetric(topology, 'mprelay_link_up', { link: 'a' }), 0);
  t.is((await socketsByLocalIp(topology.ns.gwLocal, toRemote))[ADDR.gwLocalLinkA] ?? 0, 0, 'no subflow left on link A');

  await outage.restore();
  const rejoined = async () => {
    const connections = (await mptcpConnections(topology.ns.gwLocal, toRemote)).length;
    const subflows = await socketsByLocalIp(topology.ns.gwLocal, toRemote);
    return connections > 0 && subflows[ADDR.gwLocalLinkA] === connections && (await endpointAddresses(topology.ns.gwLocal)).includes(ADDR.gwLocalLinkA);
  };
  t.true(await waitUntil(rejoined, 10_000), `after the return every connection has a link-A subflow again: ${JSON.stringify(await socketsByLocalIp(topology.ns.gwLocal, toRemote))}`);
  const heldResult = await outage.held;
  t.true(heldResult.ok && heldResult.sha256 === server.downloadSha256, `the download open across the outage is intact: ${heldResult.error}`);
  t.is(await localMetric(topology, 'mprelay_link_switches_total', { link: 'a', result: 'ok' }), 2, 'taken off once, restored once');
  await running.stop();
  t.deepEqual((await endpointAddresses(topology.ns.gwLocal)).sort(), [ADDR.gwLocalLinkA, ADDR.gwLocalLinkB]);
});

test.serial('mprelay rules: QUIC from the client gets ICMP port-unreachable at once; TCP to port 443 is relayed', async (t) => {
  const topology = await useTopology(t);
  const running = await startSystem(t, mprelay, topology);
  // Node itself in the namespaces (a fresh machine need not have python3): a connected UDP socket hears the ICMP error as ECONNREFUSED.
  const node = (ns: string, script: string, options: { timeout?: number } = {}) => nsRun(ns, process.execPath, ['-e', script], { reject: false, ...options });
  const udp = await node(
    topology.ns.client,
    `const s = require('node:dgram').createSocket('udp4');
    s.connect(443, '${ADDR.server}', () => {
      const t = performance.now();
      s.on('error', (e) => { console.log(e.code === 'ECONNREFUSED' ? 'refused ' + (performance.now() - t).toFixed(1) : 'error ' + e.code); process.exit(0); });
      s.on('message', () => { console.log('answered'); process.exit(0); });
      setTimeout(() => { console.log('timeout'); process.exit(0); }, 3000);
      s.send('quic');
    });`,
  );
  t.regex(String(udp.stdout), /^refused \d+\.\d$/m, `UDP to 443: ${udp.stdout} ${udp.stderr}`);
  const { stdout: table } = await nsRun(topology.ns.gwLocal, 'nft', ['list', 'table', 'inet', 'mplab_mprelay']);
  t.regex(String(table), /udp dport 443 counter packets 1 .* reject/);
  const listener = node(topology.ns.server, `const server = require('node:net').createServer((c) => { c.end('over tcp 443'); server.close(); }).listen(443, '${ADDR.server}');`, { timeout: 20_000 });
  await waitUntil(async () => (await nsRun(topology.ns.server, 'ss', ['-Hltn', 'src', `${ADDR.server}:443`])).stdout.length > 0, 5_000);
  const tcp = await node(topology.ns.client, `const c = require('node:net').connect(443, '${ADDR.server}'); c.setTimeout(5000, () => c.destroy()); c.on('data', (d) => process.stdout.write(d));`);
  await listener;
  t.is(String(tcp.stdout).trim(), 'over tcp 443', String(tcp.stderr));
  t.true(await waitUntil(async () => (await localMetric(topology, 'mprelay_connections_total', { result: 'ok' })) >= 1, 5_000), 'it went through the relay');
  await running.stop();
});

/** Uplink bytes delivered by both links, sampled every 10 ms until `stop` resolves, on the probes' clock. */
async function uplinkBytesWhile(topology: Topology, stop: Promise<unknown>): Promise<{ atMs: number; bytes: number }[]> {
  const samples: { atMs: number; bytes: number }[] = [];
  let done = false;
  void stop.finally(() => (done = true));
  while (!done) {
    const [a, b] = await Promise.all([topology.links.a.counters(), topology.links.b.counters()]);
    samples.push({ atMs: monotonicMs(), bytes: a.up.sentBytes + b.up.sentBytes });
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return samples;
}

test.serial('mprelay: a 4-flow upload its client aborts leaves the uplinks within two round trips of link A and one queue drain; a download started right after moves as much in its second second as alone', async (t) => {
  const scenario = await testScenario('lossy-wisp');
  const topology = await useTopology(t, scenario);
  const bench = await workloadBench(t, topology, scenario, mprelay);
  const { clientProbe } = bench.context;
  const links = Object.values(topology.links);
  const bulk = async (direction: 'down' | 'up', flows: number, durationMs: number) => {
    const result = await clientProbe.run({ mode: 'bulk', target: PROBE_TARGET, direction, flows, durationMs, binMs: 100 }, { timeoutMs: durationMs + 30_000 });
    if (result.mode !== 'bulk') throw new Error(`unexpected result ${result.mode}`);
    return result;
  };
  // Its second second: by then a download has left its start-up, and one started behind a backlog must have caught up.
  const secondSecond = (result: Awaited<ReturnType<typeof bulk>>) => sumBins(result.flows).slice(10, 20).reduce((sum, b) => sum + b, 0);

  t.true((await waitForQuietLinks(links, 30_000)).quiet);
  const alone = secondSecond(await bulk('down', 1, 3000));
  t.true((await waitForQuietLinks(links, 30_000)).quiet);

  // The client probe aborts its flows (resets) once the server's window report is in.
  const upload = bulk('up', 4, 6000);
  const uplink = uplinkBytesWhile(topology, upload.then(() => new Promise((resolve) => setTimeout(resolve, 2000))));
  await upload;
  const abortedMs = monotonicMs();
  const after = secondSecond(await bulk('down', 1, 3000));
  const samples = await uplink;
  // The last 10 ms in which the uplinks carried more than two full packets: data, not the resets and acks.
  const carried = (i: number) => i > 0 && samples[i]!.bytes - samples[i - 1]!.bytes > 3000;
  t.true(samples.some((s, i) => s.atMs < abortedMs && carried(i)), 'the uplinks carried the upload before its abort');
  const lastDataMs = samples.reduce((last, s, i) => (carried(i) ? s.atMs : last), 0) - abortedMs;
  const { a, b } = scenario.links;
  const drainMs = Math.max(...[a, b].map((link) => serialisationMs(link.up.queueBytes, link.up.rateBitsPerSec) + link.up.delayMs));
  const boundMs = 2 * baseRttMs(a) + drainMs;
  t.log(`uplink data ${lastDataMs.toFixed(0)} ms after the abort (bound ${boundMs.toFixed(0)} ms); download's second second: ${after} B after the upload, ${alone} B alone`);
  t.true(lastDataMs <= boundMs, `the upload went on ${lastDataMs.toFixed(0)} ms after its abort`);
  t.true(after >= 0.8 * alone, `after the upload ${after} B, alone ${alone} B`);
});
