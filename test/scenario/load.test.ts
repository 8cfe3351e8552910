import { readdir } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { loadScenario, parseScenario, ScenarioError } from '../../lab/scenario/load.ts';
import { SCENARIOS_DIR } from '../helpers/scenarios.ts';

const LINK = `
    down: { rate: 10mbit, delay: 10ms, queue: 64KB }
    up: { rate: 2mbit, delay: 10ms, queue: 32KB }`;

const valid = (extra = '') => `name: t\nlinks:\n  a:${LINK}\n  b:${LINK}\n${extra}`;

function problemsOf(t: import('ava').ExecutionContext, text: string) {
  const error = t.throws(() => parseScenario(text, 'x.yaml'), { instanceOf: ScenarioError });
  return error?.problems;
}

test('every committed scenario is valid', async (t) => {
  const files = (await readdir(SCENARIOS_DIR)).filter((f) => f.endsWith('.yaml'));
  t.true(files.includes('lossy-wisp.yaml'));
  for (const file of files) await t.notThrowsAsync(loadScenario(path.join(SCENARIOS_DIR, file)), file);
});

test('units become model values, defaults are filled', (t) => {
  const scenario = parseScenario(valid(), 'x.yaml');
  t.deepEqual(scenario.links.a.down, { rateBitsPerSec: 10e6, delayMs: 10, jitterMs: 0, lossProbability: 0, queueBytes: 65_536 });
  t.is(scenario.congestionControl, 'bbr');
  t.is(scenario.linkBackend, 'auto');
  t.deepEqual(scenario.links.b.schedule, []);
});

test('lossy-wisp has burst loss, an outage on link A, and different links', async (t) => {
  const scenario = await loadScenario(path.join(SCENARIOS_DIR, 'lossy-wisp.yaml'));
  t.truthy(scenario.links.a.down.burstLoss);
  t.deepEqual(scenario.links.a.schedule, [{ atMs: 3000, action: { kind: 'outage', durationMs: 3000 } }]);
  t.not(scenario.links.a.down.rateBitsPerSec, scenario.links.b.down.rateBitsPerSec);
  t.not(scenario.links.a.down.rateBitsPerSec, scenario.links.a.up.rateBitsPerSec);
});

test('a schedule turns into sorted events', (t) => {
  const scenario = parseScenario(
    `name: t\nlinks:\n  a:${LINK}\n    schedule:\n      - { at: 9s, rate: { down: 1mbit } }\n      - { at: 2s, outage: 500ms }\n  b:${LINK}\n`,
    'x.yaml',
  );
  t.deepEqual(scenario.links.a.schedule, [
    { atMs: 2000, action: { kind: 'outage', durationMs: 500 } },
    { atMs: 9000, action: { kind: 'rate', direction: 'down', rateBitsPerSec: 1e6 } },
  ]);
});

test('a bad unit names the file, line, column and field', (t) => {
  const text = valid().replace('rate: 2mbit', 'rate: 2mbps');
  const error = t.throws(() => parseScenario(text, 'x.yaml'), { instanceOf: ScenarioError });
  t.is(error?.message, 'x.yaml:5:17: links.a.up.rate: expected a rate like 10mbit (units: bit, kbit, mbit, gbit), got "2mbps"');
  t.is(error?.file, 'x.yaml');
});

test('unknown keys, missing fields and absurd values are all reported', (t) => {
  const text = `name: t\ncolour: red\nlinks:\n  a:\n    down: { rate: 10mbit, delay: 10ms, queue: 64KB }\n    up: { rate: 2mbit, delay: 10s, queue: 1KB }\n`;
  t.deepEqual(problemsOf(t, text), [
    { line: 6, column: 31, field: 'links.a.up.delay', message: '10s is out of range: allowed 0ms to 5000ms' },
    { line: 6, column: 43, field: 'links.a.up.queue', message: '1KB is out of range: allowed 1500B to 67108864B' },
    // A missing field is shown at its parent, the deepest node that exists.
    { line: 4, column: 3, field: 'links.b', message: 'missing (required: object)' },
    { line: 2, column: 1, field: 'colour', message: 'unknown key colour' },
  ]);
});

test('negative values and jitter above delay are refused', (t) => {
  const text = valid().replace('delay: 10ms, queue: 64KB', 'delay: 10ms, jitter: 20ms, queue: 64KB').replace('rate: 2mbit', 'rate: -2mbit');
  t.deepEqual(problemsOf(t, text), [
    { line: 4, column: 48, field: 'links.a.down.jitter', message: 'jitter must not exceed delay (packets are never reordered)' },
    { line: 5, column: 17, field: 'links.a.up.rate', message: 'expected a rate like 10mbit (units: bit, kbit, mbit, gbit), got "-2mbit"' },
  ]);
});

test('invalid YAML is reported with its line', (t) => {
  t.deepEqual(problemsOf(t, 'name: t\nlinks: [\n'), [
    { line: 3, column: 1, field: '', message: 'invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]' },
  ]);
});

test('an unsupported congestion control says which are allowed', (t) => {
  t.deepEqual(problemsOf(t, valid('congestionControl: cubic\n')), [
    { line: 9, column: 20, field: 'congestionControl', message: 'Invalid option: expected one of "bbr"|"reno"' },
  ]);
});

test('repetitions: a number or auto, with a precision and a time budget', (t) => {
  t.like(parseScenario(valid(), 'x.yaml'), { repeat: 3, precision: 0.1, budget: 1_200_000 });
  t.like(parseScenario(valid('repeat: auto\nprecision: 5%\nbudget: 30m\n'), 'x.yaml'), { repeat: 'auto', precision: 0.05, budget: 1_800_000 });
  t.deepEqual(problemsOf(t, valid('repeat: often\nprecision: 0%\nbudget: 2d\n')), [
    { line: 9, column: 9, field: 'repeat', message: 'a number of repetitions from 1 to 100, or auto' },
    { line: 10, column: 12, field: 'precision', message: '0% is out of range: allowed 0.1% to 100%' },
    { line: 11, column: 9, field: 'budget', message: 'expected a duration like 20ms or 5s (units: us, ms, s, m, min, h), got "2d"' },
  ]);
});

test('workload defaults: 10 s throughput cells with 2 s omitted, failover windows of 3 s + outage + 5 s, timeouts everywhere', (t) => {
  const text = valid('workloads:\n  connect: { connections: 5 }\n  pageload: {}\n  throughput: {}\n  failover: { links: [a, b] }\n');
  const { workloads } = parseScenario(text, 'x.yaml');
  t.deepEqual(workloads.connect, { connections: 5, timeout: 10_000 });
  t.deepEqual(workloads.pageload, { pages: 2, bulkFlows: 2, timeout: 30_000 });
  t.deepEqual(workloads.throughput, { duration: 10_000, omit: 2000, flows: [1, 4], directions: ['down', 'up'] });
  t.deepEqual(workloads.failover, { links: ['a', 'b'], before: 3000, outage: 3000, after: 5000 });
});

test('failover windows shorter than 2 s before or 5 s after the outage are refused, and so is a link named twice', (t) => {
  t.deepEqual(problemsOf(t, valid('workloads:\n  failover: { links: [a, a], before: 1s, after: 4s }\n')), [
    { line: 10, column: 22, field: 'workloads.failover.links', message: 'each link at most once' },
    { line: 10, column: 38, field: 'workloads.failover.before', message: '1s is out of range: allowed 2000ms to 60000ms' },
    { line: 10, column: 49, field: 'workloads.failover.after', message: '4s is out of range: allowed 5000ms to 600000ms' },
  ]);
  t.deepEqual(problemsOf(t, valid('workloads:\n  throughput: { duration: 2s, omit: 2s }\n')), [
    { line: 10, column: 27, field: 'workloads.throughput.duration', message: 'duration must be at least 1s longer than omit' },
  ]);
});
