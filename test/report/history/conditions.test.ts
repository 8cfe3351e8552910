// The conditions hash: the same conditions give the same hash whatever the key order of
// the scenario; any change of scenario, link backend, kernel, commit or a dirty tree
// gives another, named in words.
import test from 'ava';
import { conditionChanges, conditionsHash, conditionsOf } from '../../../lab/report/history/conditions.ts';
import type { Results } from '../../../lab/report/results.ts';
import { fixture } from '../html-helpers.ts';

const reversedKeys = (value: unknown): unknown =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)])) : value;

test('the same conditions hash alike, whatever the order of keys; samples and dates do not count', async (t) => {
  // The two recorded runs differ in their samples and dates; b is given another commit.
  const [a, recorded] = [await fixture('ci-smoke-a'), await fixture('ci-smoke-b')];
  const b = { ...recorded, environment: { ...recorded.environment, git: { ...a.environment.git, revision: 'f'.repeat(40) } } };
  t.deepEqual(conditionChanges(conditionsOf(a), conditionsOf(b)), ['commit']);
  const sameCommit = { ...b, environment: { ...b.environment, git: a.environment.git } };
  t.is(conditionsHash(conditionsOf(sameCommit)), conditionsHash(conditionsOf(a)));
  const reordered = { ...a, scenario: reversedKeys(a.scenario) as Results['scenario'] };
  t.notDeepEqual(Object.keys(reordered.scenario), Object.keys(a.scenario));
  t.is(conditionsHash(conditionsOf(reordered)), conditionsHash(conditionsOf(a)));
});

test('each part of the conditions changes the hash and is named', async (t) => {
  const a = await fixture('ci-smoke-a');
  const base = conditionsOf(a);
  const variants: [string, Results][] = [
    ['scenario', { ...a, scenario: { ...a.scenario, workloads: { ...a.scenario.workloads, connect: { connections: 21, timeout: 10_000 } } } }],
    ['link backend', { ...a, environment: { ...a.environment, linkBackend: 'netem' } }],
    ['kernel', { ...a, environment: { ...a.environment, kernel: '6.19.0' } }],
    ['commit', { ...a, environment: { ...a.environment, git: { ...a.environment.git, revision: '0'.repeat(40) } } }],
    ['uncommitted changes', { ...a, environment: { ...a.environment, git: { ...a.environment.git, dirty: !a.environment.git.dirty } } }],
  ];
  for (const [name, results] of variants) {
    const changed = conditionsOf(results);
    t.not(conditionsHash(changed), conditionsHash(base), name);
    t.deepEqual(conditionChanges(base, changed), [name]);
  }
});
