// The netem backend: its tc commands (pure, always tested) and, where the kernel has
// sch_netem, a real veth link measured against its model.
import test from 'ava';
import { netemAvailableSync } from '../../lab/links/backend.ts';
import { measureLink } from '../../lab/links/measure.ts';
import { htbClassArgs, netemLeafArgs, netemLimitPackets, netemLossArgs, netemSetupCommands } from '../../lab/links/netem.ts';
import { direction, linkModel, useLinkPair } from './pair.ts';

test('random loss and Gilbert-Elliott map onto netem loss arguments', (t) => {
  t.deepEqual(netemLossArgs(direction()), []);
  t.deepEqual(netemLossArgs(direction({ lossProbability: 0.005 })), ['loss', 'random', '0.5%']);
  // Bad state loses 1 - (1 - 0.01) * (1 - 0.5) = 50.5 %; good state keeps the random 1 %.
  t.deepEqual(netemLossArgs(direction({ lossProbability: 0.01, burstLoss: { enterProbability: 0.002, exitProbability: 0.3, lossInBurst: 0.5 } })), [
    'loss', 'gemodel', '0.2%', '30%', '50.5%', '1%',
  ]);
});

test('netem limit covers the byte queue and the packets on the delay line', (t) => {
  // 96 KB = 64 full packets; 8 Mbit/s for 24 ms = 24 KB = 16 packets; plus one.
  t.is(netemLimitPackets(direction({ rateBitsPerSec: 8e6, delayMs: 20, jitterMs: 4, queueBytes: 96_000 })), 64 + 16 + 1);
});

test('setup shapes egress with htb at the rate and a netem leaf', (t) => {
  const model = direction({ rateBitsPerSec: 3e6, delayMs: 12, jitterMs: 2, lossProbability: 0.005, queueBytes: 64_000 });
  t.deepEqual(netemSetupCommands('linka', model), [
    ['qdisc', 'replace', 'dev', 'linka', 'root', 'handle', '1:', 'htb', 'default', '1'],
    ['class', 'add', 'dev', 'linka', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '3000000bit', 'ceil', '3000000bit'],
    ['qdisc', 'replace', 'dev', 'linka', 'parent', '1:1', 'handle', '10:', 'netem', 'limit', String(netemLimitPackets(model)), 'delay', '12000us', '2000us', 'loss', 'random', '0.5%'],
  ]);
  t.deepEqual(netemLeafArgs('linka', model, true).slice(-3), ['loss', 'random', '100%']);
  t.deepEqual(htbClassArgs('linkb', 'change', 5e6), ['class', 'change', 'dev', 'linkb', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '5000000bit', 'ceil', '5000000bit']);
});

// Chosen at load time: on a kernel without sch_netem the test shows as skipped, with the reason printed.
const haveNetem = netemAvailableSync();
if (!haveNetem) console.log('netem backend integration test skipped: this kernel has no sch_netem (adding a netem qdisc failed)');
const netemTest = haveNetem ? test.serial : test.skip;

netemTest('netem link matches its model (RTT, loss-free goodput, outage)', async (t) => {
  const model = linkModel({ up: direction({ jitterMs: 1 }), down: direction({ jitterMs: 1 }) });
  const pair = await useLinkPair(t, model, { backend: 'netem' });
  const m = await measureLink({ ...pair, outageMs: 500 });
  t.log(`RTT median ${m.rttMs.median.toFixed(2)} ms vs ${m.rttMs.configured.toFixed(2)}; goodput up ${(m.up.goodputShare * 100).toFixed(1)} %, down ${(m.down.goodputShare * 100).toFixed(1)} %`);
  t.true(Math.abs(m.rttMs.errorMs) <= m.rttMs.toleranceMs);
  t.true(m.up.goodputShare >= 0.9 && m.down.goodputShare >= 0.9);
  t.true(Math.abs(m.up.outage.errorMs) <= 20);
});
