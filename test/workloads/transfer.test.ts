// The transfer workload: its samples (censoring, the capacity check) on synthetic
// records, and its times checked against a real client: curl fetching and posting the
// same size through the same system on the same links must take as long, within 15 %.
import test, { type ExecutionContext } from 'ava';
import { directTcp } from '../../lab/systems/direct-tcp.ts';
import { mprelay } from '../../lab/systems/mprelay.ts';
import { nsRun } from '../../lab/topology/netns.ts';
import type { RunningSystem } from '../../lab/systems/system.ts';
import type { Topology } from '../../lab/topology/types.ts';
import { transferSamples, transferWorkload } from '../../lab/workloads/transfer.ts';
import { testScenario, useTopology } from '../helpers/topology.ts';
import { startTrafficServer } from '../helpers/traffic.ts';
import { workloadBench } from './bench.ts';

const MB = 1024 * 1024;
const record = (over: Partial<Parameters<typeof transferSamples>[0]> = {}) => ({ startMs: 1000, endMs: 2000, bytes: MB, error: null, ...over });

test('a transfer that finished gives its time, its goodput and a success', (t) => {
  const { samples, labError, error } = transferSamples(record(), 'down', MB, 60_000, 30, 500);
  t.is(labError, undefined);
  t.is(error, undefined);
  t.deepEqual(
    samples.map((s) => [s.metric.key, s.value, s.atMs, s.censored ?? false]),
    [
      ['transfer_down_ms', 1000, 500, false],
      ['transfer_goodput_down_mbps', (MB * 8) / 1e6, 500, false],
      ['transfer_success_ratio_down', 1, 500, false],
    ],
  );
});

test('a transfer that failed enters at its timeout, its goodput at size / timeout, both censored, and the run says why', (t) => {
  const { samples, error } = transferSamples(record({ endMs: null, bytes: 1234, error: 'timeout' }), 'up', MB, 10_000, 30, 500);
  t.deepEqual(
    samples.map((s) => [s.metric.key, s.value, s.censored ?? false]),
    [
      ['transfer_up_ms', 10_000, true],
      ['transfer_goodput_up_mbps', (MB * 8) / 1e7, true],
      ['transfer_success_ratio_up', 0, false],
    ],
  );
  t.is(error, 'up transfer at +500 ms: timeout (1234 of 1048576 bytes)');
});

test('a transfer faster than the links carry is a lab error, not a sample', (t) => {
  // 1 MiB in 100 ms is 84 Mbit/s, on 30 Mbit/s of links.
  const { samples, labError } = transferSamples(record({ endMs: 1100 }), 'down', MB, 60_000, 30, 500);
  t.deepEqual(samples, []);
  t.is(labError, "down transfer at +500 ms: 83.89 Mbit/s is above 0.97 x the links' 30 Mbit/s: not a sample");
});

/** curl's time_total for one transfer, ms. */
async function curlMs(topology: Topology, system: RunningSystem, url: string, args: string[]): Promise<number> {
  const [file, ...rest] = [...system.wrap.client, 'curl', '-sS', '--fail', '--max-time', '60', '-o', '/dev/null', '-w', '%{time_total}', ...args, url];
  const { stdout } = await nsRun(topology.ns.client, file!, rest);
  return Number(stdout) * 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Transfers per tool and direction, interleaved: the links' loss is random, and 3 back-to-back medians per tool differed by 16 % (CI) with nothing wrong. */
const PAIRS = 5;

for (const adapter of [directTcp, mprelay]) {
test.serial(`${adapter.name} on lossy-wisp's links: a 2 MB file takes the lab as long as curl, each way, within 15 % (medians of ${PAIRS}, interleaved)`, async (t: ExecutionContext) => {
  const base = await testScenario('lossy-wisp');
  const settings = (direction: 'down' | 'up') => ({ ...base, workloads: { transfer: { size: 2 * MB, count: 1, directions: [direction], timeout: 60_000 } } });
  const topology = await useTopology(t, settings('down'));
  const bench = await workloadBench(t, topology, settings('down'), adapter);
  const server = await startTrafficServer(t, topology, bench.context.system, 2 * MB);
  const upload = `${server.dir}/download.bin`;
  const labMs = async (direction: 'down' | 'up') => {
    const results = await bench.measure(transferWorkload, 1, settings(direction));
    t.deepEqual(results.runs[0]!.labErrors, []);
    const time = results.summary[adapter.name as 'direct-tcp']!.transfer![`transfer_${direction}_ms`]!;
    t.is(time.n, 1);
    return time.p50;
  };
  const curlOnceMs = (direction: 'down' | 'up') =>
    curlMs(topology, bench.context.system, direction === 'down' ? `${server.url}/download` : `${server.url}/upload`, direction === 'down' ? [] : ['--data-binary', `@${upload}`]);
  const figures: string[] = [];
  for (const direction of ['down', 'up'] as const) {
    const lab: number[] = [];
    const tool: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      // Which goes first alternates, so neither always meets the links just after the other.
      if (i % 2 === 0) {
        lab.push(await labMs(direction));
        tool.push(await curlOnceMs(direction));
      } else {
        tool.push(await curlOnceMs(direction));
        lab.push(await labMs(direction));
      }
    }
    const [labP50, curlP50] = [median(lab), median(tool)];
    const list = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');
    figures.push(`${direction}: lab ${labP50.toFixed(0)} ms [${list(lab)}], curl ${curlP50.toFixed(0)} ms [${list(tool)}] (${(((labP50 - curlP50) / curlP50) * 100).toFixed(1)} %)`);
    t.true(Math.abs(labP50 - curlP50) <= 0.15 * curlP50, figures.at(-1));
  }
  t.log(`${adapter.name}: ${figures.join('; ')}`);
});
}
