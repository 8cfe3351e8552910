// results.json's contract, on a small hand-made file: summaries come from samples,
// the schema refuses what the report and the gate could not read.
import test from 'ava';
import { samplesCsv, summaryCsv } from '../../lab/report/csv.ts';
import { metricTable, resultsSchema, summarizeSamples, type Results, type ResultSample } from '../../lab/report/results.ts';
import { summarize } from '../../lab/stats/summary.ts';
import { metric } from '../../lab/workloads/metrics.ts';
import { runInfo } from '../helpers/run-info.ts';
import { testScenario } from '../helpers/scenarios.ts';

const samples: ResultSample[] = [
  ...[40, 42, 44].map((value, i) => ({ system: 'direct-tcp' as const, workload: 'connect' as const, repetition: 1, metric: 'ttfb_ms', value, atMs: i * 50, censored: false })),
  ...[20, 21].map((value) => ({ system: 'mprelay' as const, workload: 'connect' as const, repetition: 2, metric: 'ttfb_ms', value, atMs: null, censored: false })),
  { system: 'mprelay', workload: 'throughput', repetition: 1, metric: 'goodput_down_1flow_mbps', value: 18.5, atMs: 500, censored: false },
];

async function results(): Promise<Results> {
  const now = new Date().toISOString();
  return {
    schemaVersion: 2,
    scenario: await testScenario('test-clean'),
    run: runInfo({ id: 'abc123', startedAt: now, finishedAt: now, repeat: 2, systems: ['direct-tcp', 'mprelay'], workloads: ['connect', 'throughput'] }),
    environment: {
      hostname: 'h',
      kernel: '6.18',
      cpus: { count: 2, model: 'x' },
      node: 'v20',
      congestionControl: 'bbr',
      sysctls: { client: { 'net.mptcp.enabled': '1' } },
      linkBackend: 'userspace',
      programs: { node: 'v20' },
      git: { revision: '0'.repeat(40), dirty: false },
    },
    metrics: metricTable([metric('ttfb_ms'), metric('goodput_mbps', { direction: 'down', flows: 1 })]),
    runs: [],
    samples,
    timelines: [],
    blocks: [],
    links: {},
    summary: summarizeSamples(samples),
  };
}

test('summaries are grouped by system, workload and metric, each from its own samples', (t) => {
  const table = summarizeSamples(samples);
  t.deepEqual(table['direct-tcp']?.connect?.ttfb_ms, summarize([[40, 42, 44]]));
  t.deepEqual(table.mprelay?.connect?.ttfb_ms, summarize([[20, 21]]));
  t.is(table.mprelay?.throughput?.goodput_down_1flow_mbps?.n, 1);
  t.is(table['direct-tcp']?.throughput, undefined);
});

test('summaries cluster by repetition and count the censored samples', (t) => {
  const base = { system: 'mprelay' as const, workload: 'connect' as const, metric: 'ttfb_ms', atMs: null };
  const table = summarizeSamples([
    { ...base, repetition: 2, value: 30, censored: false },
    { ...base, repetition: 1, value: 10, censored: false },
    { ...base, repetition: 2, value: 10_000, censored: true },
    { ...base, repetition: 1, value: 11, censored: false },
  ]);
  t.deepEqual(table.mprelay?.connect?.ttfb_ms, summarize([[10, 11], [30, 10_000]], 1));
  t.like(table.mprelay?.connect?.ttfb_ms, { n: 4, reps: 2, censored: 1 });
});

test('a well-formed results file passes; broken ones are refused', async (t) => {
  const good = await results();
  t.true(resultsSchema.safeParse(good).success);
  const broken: [string, unknown][] = [
    ['unknown system', { ...good, samples: [{ ...samples[0], system: 'telnet' }] }],
    ['NaN value', { ...good, samples: [{ ...samples[0], value: Number.NaN }] }],
    ['empty summary', { ...good, summary: { mprelay: { connect: { ttfb_ms: { ...summarize([[1]]), n: 0 } } } } }],
    ['unknown top-level key', { ...good, extra: 1 }],
    ['missing environment', { ...good, environment: undefined }],
  ];
  for (const [what, value] of broken) {
    const parsed = resultsSchema.safeParse(value);
    t.false(parsed.success, what);
  }
});

test('CSV: one row per sample and per summary, units from the metric table', async (t) => {
  const r = await results();
  const sampleRows = samplesCsv(r).trim().split('\n');
  t.is(sampleRows.length, samples.length + 1);
  t.is(sampleRows[1], 'direct-tcp,connect,1,ttfb_ms,ms,40,0,false');
  t.is(sampleRows[4], 'mprelay,connect,2,ttfb_ms,ms,20,,false');
  const summaryRows = summaryCsv(r).trim().split('\n');
  t.is(summaryRows.length, 4);
  t.regex(summaryRows[3]!, /^mprelay,throughput,goodput_down_1flow_mbps,Mbit\/s,higher,1,18.5,/);
});
