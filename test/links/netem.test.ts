// The netem backend: its tc and ethtool arguments and its byte accounting (pure, always
// tested) and, where the kernel has sch_netem, a real veth link measured against its
// model. On a kernel without sch_netem the integration tests show as skipped and the
// file says so on stdout.
import test from 'ava';
import { netemAvailableSync } from '../../lab/links/backend.ts';
import { measureGoodput } from '../../lab/links/goodput.ts';
import { measureLink } from '../../lab/links/measure.ts';
import { ETHERNET_HEADER_BYTES, ipBytes, netemArgs, netemCounters, netemLimitPackets, netemLossArgs, offloadsOffArgs } from '../../lab/links/netem.ts';
import { netstatGroup } from '../../lab/topology/blackhole.ts';
import { nsRun } from '../../lab/topology/netns.ts';
import { direction, linkModel, useLinkPair } from './pair.ts';

test('random loss and Gilbert-Elliott map onto netem loss arguments', (t) => {
  t.deepEqual(netemLossArgs(direction()), []);
  t.deepEqual(netemLossArgs(direction({ lossProbability: 0.005 })), ['loss', 'random', '0.5%']);
  // Bad state loses 1 - (1 - 0.01) * (1 - 0.5) = 50.5 %; good state keeps the random 1 %.
  t.deepEqual(netemLossArgs(direction({ lossProbability: 0.01, burstLoss: { enterProbability: 0.002, exitProbability: 0.3, lossInBurst: 0.5 } })), [
    'loss', 'gemodel', '0.2%', '30%', '50.5%', '1%',
  ]);
});

test('netem limit converts the byte queue to packets and adds the packets on the delay line', (t) => {
  // 96 KB = 64 full packets; 8 Mbit/s for 24 ms = 24 KB = 16 packets; plus one.
  t.is(netemLimitPackets(direction({ rateBitsPerSec: 8e6, delayMs: 20, jitterMs: 4, queueBytes: 96_000 })), 64 + 16 + 1);
  // A queue that is not a whole number of packets rounds up: 1501 bytes hold two.
  t.is(netemLimitPackets(direction({ rateBitsPerSec: 8e6, delayMs: 0, jitterMs: 0, queueBytes: 1501 })), 2 + 0 + 1);
});

test('one netem does rate (IP bytes: -14 overhead), delay, jitter, loss and limit: no htb beside it to reorder against', (t) => {
  const model = direction({ rateBitsPerSec: 3e6, delayMs: 12, jitterMs: 2, lossProbability: 0.005, queueBytes: 64_000 });
  t.deepEqual(netemArgs('linka', model, 'replace'), [
    'qdisc', 'replace', 'dev', 'linka', 'root', 'handle', '1:', 'netem', 'limit', String(netemLimitPackets(model)),
    'delay', '12000us', '2000us', 'rate', '3000000bit', '-14', 'loss', 'random', '0.5%',
  ]);
  // An outage and a new rate re-state every parameter (tc's change replaces them all).
  t.deepEqual(netemArgs('linka', model, 'change', true).slice(1, 2), ['change']);
  t.deepEqual(netemArgs('linka', model, 'change', true).slice(-3), ['loss', 'random', '100%']);
  t.deepEqual(netemArgs('linkb', direction({ delayMs: 0, rateBitsPerSec: 5e6 }), 'change').slice(10), ['rate', '5000000bit', '-14']);
  t.deepEqual(offloadsOffArgs('linkb'), ['-K', 'linkb', 'gro', 'off', 'gso', 'off', 'tso', 'off']);
});

test('netem counters are IP bytes, as the userspace emulator counts them', (t) => {
  t.is(ETHERNET_HEADER_BYTES, 14);
  t.is(ipBytes(1514 * 10, 10), 15_000);
  t.deepEqual(netemCounters({ kind: 'netem', bytes: 1514 * 100 + 66 * 50, packets: 150, drops: 7, backlog: 1514 * 3, qlen: 3 }, 2), {
    sentPackets: 150,
    sentBytes: 1500 * 100 + 52 * 50,
    lossDrops: 5,
    queueDrops: 0,
    outageDrops: 2,
    arrivedBytes: 1500 * 100 + 52 * 50 + 4500,
    backlogBytes: 4500,
  });
});

// Chosen at load time: on a kernel without sch_netem these tests show as skipped, and this says which and why.
const haveNetem = netemAvailableSync();
const netemTest = haveNetem ? test.serial : test.skip;
if (!haveNetem) {
  console.log(
    'SKIPPED: netem integration tests (a veth link measured against its model: RTT, goodput, outage; no reordering under jitter): ' +
      'this kernel has no sch_netem (adding a netem qdisc failed). Only the argument and byte-accounting tests above ran.',
  );
}

netemTest('netem link matches its model (RTT, loss-free goodput, outage)', async (t) => {
  const model = linkModel({ up: direction({ jitterMs: 1 }), down: direction({ jitterMs: 1 }) });
  const pair = await useLinkPair(t, model, { backend: 'netem' });
  const m = await measureLink({ ...pair, outageMs: 500 });
  t.log(`RTT median ${m.rttMs.median.toFixed(2)} ms vs ${m.rttMs.configured.toFixed(2)}; goodput up ${(m.up.goodputShare * 100).toFixed(1)} %, down ${(m.down.goodputShare * 100).toFixed(1)} %`);
  t.true(Math.abs(m.rttMs.errorMs) <= m.rttMs.toleranceMs);
  t.true(m.up.goodputShare >= 0.9 && m.down.goodputShare >= 0.9);
  t.true(Math.abs(m.up.outage.errorMs) <= 20);
});

netemTest('netem with 4 ms jitter under a saturating TCP flow reorders nothing', async (t) => {
  const model = linkModel({ up: direction({ delayMs: 20, jitterMs: 4 }), down: direction({ delayMs: 20 }) });
  const pair = await useLinkPair(t, model, { backend: 'netem' });
  const reorderBefore = await reorderEvents(pair.nsRemote);
  await measureGoodput({ ...pair, direction: 'up', seconds: 3 });
  // The receiver counts out-of-order segments it queued (TcpExt TCPOFOQueue).
  t.is((await reorderEvents(pair.nsRemote)) - reorderBefore, 0);
});

async function reorderEvents(ns: string): Promise<number> {
  const { stdout } = await nsRun(ns, 'cat', ['/proc/net/netstat']);
  return netstatGroup(String(stdout), 'TcpExt').get('TCPOFOQueue') ?? Number.NaN;
}
