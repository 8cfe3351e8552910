import test from 'ava';
import { resultsSchema } from '../../lab/report/results.ts';
import { Collector } from '../../lab/run/collect.ts';
import { metric } from '../../lab/workloads/metrics.ts';
import { runInfo } from '../helpers/run-info.ts';
import { testScenario } from '../helpers/scenarios.ts';

test('a failed run is recorded next to the good ones, with its reason; later problems are noted on the block', async (t) => {
  const collector = new Collector();
  const startedAt = new Date();
  collector.ok({ system: 'direct-tcp', workload: 'connect', repetition: 1 }, startedAt, {
    samples: [{ metric: metric('ttfb_ms'), value: 42, atMs: 0 }],
    timelines: [],
    errors: [],
    labErrors: ['links not quiet before down 1 flow(s)'],
    probeCpu: { client: 0.01, server: 0.02 },
    evidence: {
      counters: { client: { TcpRetransSegs: 2 }, gwLocal: {}, gwRemote: {}, server: {} },
      links: Object.fromEntries(['a', 'b'].map((l) => [l, Object.fromEntries(['down', 'up'].map((d) => [d, { sentPackets: 1, sentBytes: 100, lossDrops: 0, queueDrops: 0, outageDrops: 0 }]))])) as never,
    },
  });
  collector.failed({ system: 'mprelay', workload: 'connect', repetition: 1 }, startedAt, 'mprelay failed to start: port in use');
  collector.note('direct-tcp', 1, 'stopping direct-tcp: timeout');
  const results = collector.results(
    await testScenario('test-clean'),
    runInfo({ systems: ['direct-tcp', 'mprelay'], workloads: ['connect'] }),
    { hostname: 'h', kernel: 'k', cpus: { count: 2, model: 'm' }, node: 'v20', congestionControl: 'bbr', sysctls: {}, linkBackend: 'userspace', programs: {}, git: { revision: 'x', dirty: false } },
    {},
  );
  t.true(resultsSchema.safeParse(results).success);
  t.deepEqual(
    results.runs.map((r) => [r.system, r.status, r.error, r.errors, r.labErrors, r.evidence?.counters.client ?? null]),
    [
      ['direct-tcp', 'ok', null, ['stopping direct-tcp: timeout'], ['links not quiet before down 1 flow(s)'], { TcpRetransSegs: 2 }],
      ['mprelay', 'failed', 'mprelay failed to start: port in use', [], [], null],
    ],
  );
  t.is(results.summary['direct-tcp']?.connect?.ttfb_ms?.n, 1);
  t.is(results.summary.mprelay, undefined);
  t.is(results.metrics.ttfb_ms?.unit, 'ms');
});
