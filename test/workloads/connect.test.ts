// The connect workload against a system that loses one connection in five (gw-local
// drops every SYN of every fifth new connection, retransmissions included): every
// attempt is a sample, the failures enter ttfb at the timeout (censored), success_ratio
// says 0.8, and the gate, given a clean run of the same system as its baseline, calls
// the regression.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { runGate } from '../../lab/gate/gate.ts';
import { compareWithBaseline } from '../../lab/gate/baseline.ts';
import { runView } from '../../lab/report/html/run-view.ts';
import { writeResults, type Results } from '../../lab/report/results.ts';
import { directTcp } from '../../lab/systems/direct-tcp.ts';
import { nsRun } from '../../lab/topology/netns.ts';
import { DEV, type Topology } from '../../lab/topology/types.ts';
import { connectWorkload } from '../../lab/workloads/connect.ts';
import { testScenario, useTopology } from '../helpers/topology.ts';
import { workloadBench } from './bench.ts';

const TABLE = 'mplab_test_syn_drop';
const CONNECTIONS = 20;
const REPETITIONS = 3;
const TIMEOUT_MS = 1000;

/** Drops every SYN of every fifth new connection from the LAN (a connection's retransmitted SYNs have its address and port). */
async function dropEveryFifthConnection(t: import('ava').ExecutionContext, topology: Topology): Promise<void> {
  const ns = topology.ns.gwLocal;
  const syn = 'tcp flags & (fin | syn | rst | ack) == syn';
  await nsRun(ns, 'nft', ['-f', '-'], {
    input: `table ip ${TABLE} {
  set doomed { type ipv4_addr . inet_service; flags dynamic, timeout; timeout 5m; }
  chain prerouting {
    type filter hook prerouting priority -300; policy accept;
    iifname "${DEV.lan}" ${syn} ip saddr . tcp sport @doomed drop
    iifname "${DEV.lan}" ${syn} numgen inc mod 5 == 4 add @doomed { ip saddr . tcp sport } drop
  }
}
`,
  });
  t.teardown(() => nsRun(ns, 'nft', ['delete', 'table', 'ip', TABLE], { reject: false }));
}

const samplesOf = (results: Results, metric: string) => results.samples.filter((s) => s.metric === metric);

test.serial('one connection in five lost: success_ratio 0.8, ttfb p95 at the timeout (censored), and the gate reports the regression', async (t) => {
  const base = await testScenario('test-clean');
  const scenario = { ...base, workloads: { connect: { connections: CONNECTIONS, timeout: TIMEOUT_MS } } };
  const topology = await useTopology(t, scenario);
  const bench = await workloadBench(t, topology, scenario, directTcp);

  const clean = await bench.measure(connectWorkload, REPETITIONS);
  await dropEveryFifthConnection(t, topology);
  const lossy = await bench.measure(connectWorkload, REPETITIONS);

  t.is(clean.summary['direct-tcp']?.connect?.success_ratio?.mean, 1);
  t.false(samplesOf(clean, 'ttfb_ms').some((s) => s.censored));
  const ratio = lossy.summary['direct-tcp']!.connect!.success_ratio!;
  t.is(ratio.n, CONNECTIONS * REPETITIONS, 'every attempt is a sample');
  t.true(Math.abs(ratio.mean - 0.8) <= 0.05, `success_ratio ${ratio.mean}`);
  const ttfb = samplesOf(lossy, 'ttfb_ms');
  t.is(ttfb.length, CONNECTIONS * REPETITIONS);
  t.is(ttfb.filter((s) => s.censored).length, Math.round((1 - ratio.mean) * ratio.n), 'each failed connection is a censored ttfb');
  t.true(ttfb.filter((s) => s.censored).every((s) => s.value === TIMEOUT_MS));
  t.is(lossy.summary['direct-tcp']!.connect!.ttfb_ms!.p95, TIMEOUT_MS, 'the tail is the timeout');
  // The median is still a clean connection's: a median alone would hide the failures.
  t.true(lossy.summary['direct-tcp']!.connect!.ttfb_ms!.p50 < 200);
  t.true(lossy.runs.every((r) => r.status === 'ok' && r.errors.length > 0));

  const comparison = compareWithBaseline(runView(lossy, 'lossy'), runView(clean, 'clean'));
  const success = comparison.comparisons.find((c) => c.key.metric === 'success_ratio');
  t.is(success?.verdict, 'regression', JSON.stringify(success));

  // The same through `mplab gate` on the files: exit code 1, the metric named.
  const dir = await mkdtemp(path.join(tmpdir(), 'mplab-connect-gate-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeResults(path.join(dir, 'clean.json'), clean);
  await writeResults(path.join(dir, 'lossy.json'), lossy);
  const gate = await runGate({ run: path.join(dir, 'lossy.json'), baseline: path.join(dir, 'clean.json') });
  t.is(gate.exitCode, 1, gate.text);
  t.regex(gate.text, /REGRESSION\s+direct-tcp connect success_ratio/);
});
