// --set on a scenario file: values land where a file would have them, a link-level key
// sets both directions, and a bad value or a mistyped field is refused by the same
// validation as a file's, with the field named.
import test from 'ava';
import { ScenarioError } from '../../lab/scenario/load.ts';
import { parseScenarioWith, settingPaths } from '../../lab/scenario/override.ts';
import { parseScenario } from '../../lab/scenario/load.ts';

const LINK = `
    down: { rate: 10mbit, delay: 10ms, queue: 64KB }
    up: { rate: 2mbit, delay: 10ms, queue: 32KB }`;
const TEXT = `# a comment that stays\nname: t\nlinks:\n  a:${LINK}\n  b:${LINK}\nworkloads:\n  connect: { connections: 5 }\n`;

test('a link-level key sets both directions; other paths are taken as they are', (t) => {
  t.deepEqual(settingPaths('links.a.loss'), [
    ['links', 'a', 'down', 'loss'],
    ['links', 'a', 'up', 'loss'],
  ]);
  t.deepEqual(settingPaths('links.b.down.delay'), [['links', 'b', 'down', 'delay']]);
  t.deepEqual(settingPaths('workloads.connect.connections'), [['workloads', 'connect', 'connections']]);
});

test('settings become the scenario a file with those values would be, and the text says so', (t) => {
  const { scenario, text } = parseScenarioWith(TEXT, 'x.yaml', [
    { path: 'links.a.loss', value: '1%' },
    { path: 'links.b.down.delay', value: '50ms' },
    { path: 'workloads.connect.connections', value: '12' },
    { path: 'workloads.throughput', value: '{ duration: 3s, flows: [1, 4] }' },
  ]);
  t.is(scenario.links.a.down.lossProbability, 0.01);
  t.is(scenario.links.a.up.lossProbability, 0.01);
  t.is(scenario.links.b.down.delayMs, 50);
  t.is(scenario.links.b.up.delayMs, 10);
  t.deepEqual(scenario.workloads.connect, { connections: 12, timeout: 10_000 });
  t.deepEqual(scenario.workloads.throughput?.flows, [1, 4]);
  t.true(text.startsWith('# a comment that stays\n'));
  t.deepEqual(parseScenario(text, 'y.yaml'), scenario, 'the text parses to the same scenario');
});

test('a value out of range is refused with the field (both directions) and the --set named', (t) => {
  const error = t.throws(() => parseScenarioWith(TEXT, 'x.yaml', [{ path: 'links.a.loss', value: '60%' }]), { instanceOf: ScenarioError });
  t.is(error?.file, 'x.yaml (--set links.a.loss=60%)');
  t.deepEqual(
    error?.problems.map((p) => `${p.field}: ${p.message}`),
    ['links.a.down.loss: 60% is out of range: allowed 0% to 50%', 'links.a.up.loss: 60% is out of range: allowed 0% to 50%'],
  );
});

test('a mistyped field is an unknown key, and a value of the wrong kind says what is expected', (t) => {
  const typo = t.throws(() => parseScenarioWith(TEXT, 'x.yaml', [{ path: 'workloads.conect.connections', value: '3' }]), { instanceOf: ScenarioError });
  t.deepEqual(typo?.problems.map((p) => `${p.field}: ${p.message}`), ['workloads.conect: unknown key conect']);
  const unit = t.throws(() => parseScenarioWith(TEXT, 'x.yaml', [{ path: 'links.b.delay', value: '50' }]), { instanceOf: ScenarioError });
  t.deepEqual(
    unit?.problems.map((p) => p.field),
    ['links.b.down.delay', 'links.b.up.delay'],
  );
  t.deepEqual(unit?.problems.map((p) => p.message), ['expected a string, got 50', 'expected a string, got 50']);
});
