// The DNS forwarder of a real local relay, end to end inside a private namespace:
// client -> forwarder (UDP or TCP) -> relayed stream (pool, MPTCP) -> remote -> TCP ->
// Debian's dnsmasq. Truncation for UDP, refusals at the edge, a resolver that never
// answers (SERVFAIL in bounded time, nothing left open), the metrics.
import test from 'ava';
import { once } from 'node:events';
import net from 'node:net';
import { answerAddresses, CLASSIC_UDP_BYTES, encodeQuery, frame, RCODE, readHeader } from '../../../relay/dns/wire.ts';
import { startDnsmasq, type DnsmasqServer } from '../../../lab/topology/dns-server.ts';
import { askTcp, askUdp } from '../helpers/dns.ts';
import { enterNewNamespace, type TestNamespace } from '../helpers/netns.ts';
import { metricValue, startLocal, startRemote, waitFor } from '../helpers/relays.ts';

const RESOLVER = '203.0.113.53';
/** Accepts TCP on port 53 and never answers. */
const SILENT = '203.0.113.54';
const CLIENT = '10.201.0.1';
const BIG_TXT = Array.from({ length: 6 }, (_, i) => `${i}`.repeat(200));
const ZONE = { domain: 'mplab.test', hosts: { 'server.mplab.test': '203.0.113.2' }, txt: { 'big.mplab.test': BIG_TXT } };
const POOL = { min: 2, max: 8, idleTimeoutMs: 60_000, rateWindowMs: 10_000, horizonMs: 2_000 };
const DNS = { listen: { address: '127.0.0.1', port: 0 }, timeoutMs: 800, retryAfterMs: 300 };

let ns: TestNamespace;
let dnsmasq: DnsmasqServer;
let silent: { server: net.Server; open: Set<net.Socket>; accepted: number };
let remote: Awaited<ReturnType<typeof startRemote>>;
let local: Awaited<ReturnType<typeof startLocal>>;
/** A second local whose configured resolver never answers. */
let stuck: Awaited<ReturnType<typeof startLocal>>;

const udpPort = () => local.relay.dns!.udp.port;
const tcpPort = () => local.relay.dns!.tcp.port;

test.before(async () => {
  ns = await enterNewNamespace('dnssrv');
  for (const address of [RESOLVER, SILENT, CLIENT]) await ns.run('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo']);
  dnsmasq = await startDnsmasq(ns.name, { address: RESOLVER, zone: ZONE, logFile: '/dev/null' });
  const open = new Set<net.Socket>();
  silent = { server: net.createServer(), open, accepted: 0 };
  silent.server.on('connection', (socket) => {
    silent.accepted++;
    open.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => open.delete(socket));
    socket.resume();
  });
  silent.server.listen(53, SILENT);
  await once(silent.server, 'listening');
  remote = await startRemote({ allowDestinations: [`${RESOLVER}/32`, `${SILENT}/32`] });
  local = await startLocal(remote.address.port, { pool: POOL, dns: { ...DNS, resolver: { address: RESOLVER, port: 53 } } });
  stuck = await startLocal(remote.address.port, { pool: POOL, dns: { ...DNS, resolver: { address: SILENT, port: 53 } } });
  // What `mprelay rules --dns` does for a LAN, here for this namespace's own TCP to port 53 from the client address.
  await ns.run('/usr/sbin/nft', [
    `table ip mpl_dns {\n  chain out {\n    type nat hook output priority -100; policy accept;\n    ip saddr ${CLIENT} tcp dport 53 redirect to :${tcpPort()}\n  }\n}`,
  ]);
  await waitFor(() => local.relay.pool.idleCount >= 2 && stuck.relay.pool.idleCount >= 2, 'the pools to warm up');
});

test.after.always(async () => {
  await local?.relay.stop();
  await stuck?.relay.stop();
  await remote?.relay.stop();
  await dnsmasq?.stop();
  await new Promise((resolve) => silent?.server.close(resolve));
  await ns?.destroy();
});

const dnsCount = (relay: typeof local, transport: string, result: string) => metricValue(relay.metrics, 'mprelay_dns_queries_total', { transport, result });

test.serial('UDP: a lookup is answered by dnsmasq through the relay, over a pooled connection', async (t) => {
  const hits = await metricValue(local.metrics, 'mprelay_pool_hits_total');
  const answer = await askUdp('127.0.0.1', udpPort(), encodeQuery('server.mplab.test', 0x0101), 3_000);
  t.truthy(answer);
  t.like(readHeader(answer!), { id: 0x0101, response: true, truncated: false, rcode: RCODE.noError, ancount: 1 });
  t.deepEqual(answerAddresses(answer!), ['203.0.113.2']);
  t.is(await dnsCount(local, 'udp', 'ok'), 1);
  t.is(await metricValue(local.metrics, 'mprelay_pool_hits_total'), hits + 1);
  const nx = await askUdp('127.0.0.1', udpPort(), encodeQuery('nothere.mplab.test', 0x0102), 3_000);
  t.like(readHeader(nx!), { id: 0x0102, rcode: 3, ancount: 0 }, "dnsmasq's NXDOMAIN comes through as it is");
});

test.serial('TCP: a redirected lookup goes to the resolver the client asked for, not the configured one', async (t) => {
  // The configured resolver of `stuck` never answers; the client asks dnsmasq, redirected to stuck's forwarder.
  await ns.run('/usr/sbin/nft', ['flush chain ip mpl_dns out']);
  await ns.run('/usr/sbin/nft', [`add rule ip mpl_dns out ip saddr ${CLIENT} tcp dport 53 redirect to :${stuck.relay.dns!.tcp.port}`]);
  const answer = await askTcp({ host: RESOLVER, port: 53, localAddress: CLIENT }, frame(encodeQuery('server.mplab.test', 0x0201)), 3_000);
  t.deepEqual(answerAddresses(answer!), ['203.0.113.2']);
  t.is(await dnsCount(stuck, 'tcp', 'ok'), 1);
  // Not redirected (asked at the forwarder itself): the configured resolver.
  const direct = await askTcp({ host: '127.0.0.1', port: tcpPort() }, frame(encodeQuery('server.mplab.test', 0x0202)), 3_000);
  t.like(readHeader(direct!), { id: 0x0202, ancount: 1 });
});

test.serial('an answer too big for a UDP client comes back truncated (TC, no records); with EDNS0 or over TCP it comes whole', async (t) => {
  const cut = await askUdp('127.0.0.1', udpPort(), encodeQuery('big.mplab.test', 0x0301, { type: 16 }), 3_000);
  t.true(cut!.length <= CLASSIC_UDP_BYTES);
  t.like(readHeader(cut!), { id: 0x0301, response: true, truncated: true, qdcount: 1, ancount: 0, nscount: 0, arcount: 0 });
  t.is(await dnsCount(local, 'udp', 'truncated'), 1);
  const edns = await askUdp('127.0.0.1', udpPort(), encodeQuery('big.mplab.test', 0x0302, { type: 16, udpSizeBytes: 4096 }), 3_000);
  t.true(edns!.length > CLASSIC_UDP_BYTES);
  t.like(readHeader(edns!), { id: 0x0302, truncated: false, ancount: 1 });
  const whole = await askTcp({ host: '127.0.0.1', port: tcpPort() }, frame(encodeQuery('big.mplab.test', 0x0303, { type: 16 })), 3_000);
  t.true(whole!.length > CLASSIC_UDP_BYTES);
  t.like(readHeader(whole!), { id: 0x0303, truncated: false, ancount: 1 });
  for (const text of BIG_TXT) t.true(whole!.includes(Buffer.from(text)));
});

test.serial('garbled and oversized queries are refused at the edge, logged, counted, and the forwarder goes on', async (t) => {
  const dropped = await dnsCount(local, 'udp', 'dropped');
  t.is(await askUdp('127.0.0.1', udpPort(), Buffer.from([1, 2, 3]), 300), undefined, 'no ID to answer: dropped');
  const response = Buffer.from(encodeQuery('server.mplab.test', 0x0401));
  response.writeUInt16BE(0x8180, 2);
  t.is(await askUdp('127.0.0.1', udpPort(), response, 300), undefined, 'a response is never answered');
  t.is(await dnsCount(local, 'udp', 'dropped'), dropped + 2);
  const two = encodeQuery('server.mplab.test', 0x0402);
  two.writeUInt16BE(2, 4);
  t.like(readHeader((await askUdp('127.0.0.1', udpPort(), two, 3_000))!), { id: 0x0402, rcode: RCODE.formErr });
  const oversized = Buffer.concat([encodeQuery('server.mplab.test', 0x0403), Buffer.alloc(5_000)]);
  t.like(readHeader((await askUdp('127.0.0.1', udpPort(), oversized, 3_000))!), { id: 0x0403, rcode: RCODE.formErr });
  t.is(await dnsCount(local, 'udp', 'refused'), 2);
  // TCP: a length above the query limit closes the connection.
  t.is(await askTcp({ host: '127.0.0.1', port: tcpPort() }, Buffer.from([0xff, 0xff, 0, 0]), 3_000), undefined);
  t.is(await dnsCount(local, 'tcp', 'dropped'), 1);
  const refusals = local.logs.lines.filter((line) => line.msg === 'DNS query refused').map((line) => line.problem);
  t.deepEqual(refusals, ['short', 'is-response', 'question-count', 'oversized']);
  const after = await askUdp('127.0.0.1', udpPort(), encodeQuery('server.mplab.test', 0x0404), 3_000);
  t.deepEqual(answerAddresses(after!), ['203.0.113.2'], 'still answering');
});

test.serial('a resolver that never answers: SERVFAIL within the timeout, and no stream left open anywhere', async (t) => {
  const accepted = silent.accepted;
  const relayedToSilent = () => remote.logs.lines.filter((line) => line.msg === 'relay closed' && (line.destination as { address: string }).address === SILENT).length;
  const relayedBefore = relayedToSilent();
  const answer = await askUdp('127.0.0.1', stuck.relay.dns!.udp.port, encodeQuery('server.mplab.test', 0x0501), 3_000);
  t.like(readHeader(answer!), { id: 0x0501, response: true, rcode: RCODE.servFail, qdcount: 1, ancount: 0 });
  t.is(await dnsCount(stuck, 'udp', 'servfail'), 1);
  t.is(silent.accepted - accepted, 2, 'the query and its retry each reached the resolver over the relay');
  t.like(stuck.logs.lines.find((line) => line.msg === 'DNS query not answered by the resolver: SERVFAIL'), { problem: 'timeout', attempts: 2, resolver: SILENT });
  await waitFor(() => silent.open.size === 0, 'the resolver to see both connections closed', 10_000);
  await waitFor(() => relayedToSilent() === relayedBefore + 2, "the remote's two relayed connections to end", 10_000);
  t.is(stuck.relay.dns!.queries.inFlight, 0);
});
