// The gate's verdict of a run as the index keeps it, on recorded runs of ci-smoke and
// variants derived from them (said in each test): the marks on the points, what
// decided, and what the gate cannot judge.
import test from 'ava';
import { checkRule } from '../../../lab/gate/check-rules.ts';
import { parseRule } from '../../../lab/gate/rules.ts';
import { runVerdict } from '../../../lab/report/history/run-verdict.ts';
import { runView } from '../../../lab/report/html/run-view.ts';
import type { Results } from '../../../lab/report/results.ts';
import { dropSamples, mapSamples, withRules } from '../../gate/derive.ts';
import { fixture } from '../html-helpers.ts';

const previous = { kind: 'previous', runId: 'r1' } as const;
const is = (system: string, workload: string) => (s: Results['samples'][number]) => s.system === system && s.workload === workload;

test('A/A against the previous run: nothing marked but what the gate cannot judge, every point says what the gate said', async (t) => {
  const [a, b] = [await fixture('ci-smoke-a'), await fixture('ci-smoke-b')];
  const verdict = runVerdict(runView(b, 'b'), { ref: previous, view: runView(a, 'a') });
  t.is(verdict.exitCode, 0);
  t.deepEqual(verdict.baseline, previous);
  t.deepEqual(verdict.inputErrors, []);
  t.deepEqual(verdict.decided, []);
  const compared = Object.values(b.summary).flatMap((w) => Object.values(w ?? {}).flatMap((m) => Object.keys(m ?? {}))).length;
  t.regex(verdict.overview, new RegExp(`^3 rules: 0 failed, 0 inconclusive; ${compared} metrics compared: 0 regressed, 0 improved, \\d+ with too few samples to judge$`));
  const points = Object.values(verdict.points).flatMap((w) => Object.values(w).flatMap((m) => Object.values(m)));
  t.is(points.length, compared);
  t.true(points.every((p) => p.mark === 'ok' || p.mark === 'inconclusive'));
  // One sample per repetition, 5 a side: judged, and no change.
  t.like(verdict.points.mprelay!.failover!.stall_link_a_ms, { mark: 'ok' });
  t.regex(verdict.points.mprelay!.failover!.stall_link_a_ms!.notes[0]!.text, /^(no change|changed within the noise floor) vs baseline: p50 /);
  // A point a rule is about carries the rule's verdict too.
  t.deepEqual(verdict.points.mprelay!.connect!.ttfb_ms!.notes.map((n) => [n.mark, n.text.split(':')[0]]), [
    ['ok', 'rule pass'],
    ['ok', 'no change vs baseline'],
  ]);
});

test('a regressed metric and a relay that failed every repetition are marked regression, and decide the run', async (t) => {
  // Derived: run B with mprelay's connect ttfb 30 ms later, and without any redsocks-dante
  // hol sample, its hol runs recorded as failed, as a crashing proxy leaves them.
  const [a, b] = [await fixture('ci-smoke-a'), await fixture('ci-smoke-b')];
  const slower = mapSamples(b, (s) => is('mprelay', 'connect')(s) && s.metric === 'ttfb_ms', (v) => v + 30);
  const crashed = dropSamples(slower, is('redsocks-dante', 'hol'));
  crashed.runs = crashed.runs.map((r) => (r.system === 'redsocks-dante' && r.workload === 'hol' ? { ...r, status: 'failed', error: 'redsocks exited' } : r));
  const verdict = runVerdict(runView(crashed, 'now'), { ref: { kind: 'committed', file: 'baselines/ci-smoke.json' }, view: runView(a, 'a') });
  t.is(verdict.exitCode, 1);
  t.like(verdict.points.mprelay!.connect!.ttfb_ms, { mark: 'regression' });
  const metrics = ['rtt_idle_ms', 'rtt_loaded_ms', 'ttfb_loaded_ms'];
  const failedReps = crashed.runs.filter((r) => r.system === 'redsocks-dante' && r.workload === 'hol').map((r) => `repetition ${r.repetition}: redsocks exited`).join('; ');
  const holMetrics = new Set(a.samples.filter(is('redsocks-dante', 'hol')).map((s) => s.metric));
  const baselineN = Math.max(...[...holMetrics].map((m) => a.samples.filter((s) => is('redsocks-dante', 'hol')(s) && s.metric === m).length));
  for (const metric of metrics) {
    t.deepEqual(verdict.points['redsocks-dante']!.hol![metric], {
      mark: 'regression',
      notes: [{ mark: 'regression', text: `REGRESSION: no samples for any metric of redsocks-dante hol (baseline: ${baselineN}): failed in every repetition: ${failedReps}` }],
    });
  }
  t.deepEqual(verdict.decided.map((d) => [d.mark, d.text.split(':')[0]]), [
    ['regression', 'mprelay connect ttfb_ms'],
    ['regression', 'REGRESSION'],
  ]);
  t.regex(verdict.overview, new RegExp(`1 regressed.*; ${failedReps.split('; ').length} workload run\\(s\\) failed$`));
});

test('a failed rule marks the point it is about; without a baseline only the rules judge', async (t) => {
  const a = withRules(await fixture('ci-smoke-a'), ['mprelay.connect.ttfb_ms.p50 < 1']);
  const verdict = runVerdict(runView(a, 'a'), undefined);
  t.is(verdict.exitCode, 1);
  t.deepEqual(verdict.baseline, { kind: 'none' });
  t.is(verdict.overview, '1 rule: 1 failed, 0 inconclusive; no baseline comparison');
  t.is(verdict.points.mprelay!.connect!.ttfb_ms!.mark, 'regression');
  t.deepEqual(verdict.decided, [{ mark: 'regression', text: verdict.points.mprelay!.connect!.ttfb_ms!.notes[0]!.text }]);
  t.regex(verdict.decided[0]!.text, /^rule fail: mprelay\.connect\.ttfb_ms\.p50 < 1: value [\d.]+, 95 % interval \[[\d.]+, [\d.]+\], required < 1\.00$/);
});

test('rules the gate cannot check are input errors (exit 2), with the gate\'s own message; the rest is still judged', async (t) => {
  const rules = ['mprelay.connect.ttfb_ms.p50 <', 'ssh-tunnel.connect.ttfb_ms.p50 < 100', 'mprelay.connect.ttfb_ms.p50 < 1000'];
  const a = withRules(await fixture('ci-smoke-a'), rules);
  const view = runView(a, 'a');
  const gateMessage = (rule: string) => {
    try {
      checkRule(view, parseRule(rule));
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`${rule} checks`);
  };
  const verdict = runVerdict(view, undefined);
  t.is(verdict.exitCode, 2);
  t.deepEqual(verdict.inputErrors, [gateMessage(rules[0]!), gateMessage(rules[1]!)]);
  t.is(verdict.overview, '1 rule: 0 failed, 0 inconclusive; no baseline comparison');
  t.is(verdict.points.mprelay!.connect!.ttfb_ms!.notes[0]!.mark, 'ok');
});

test('a baseline of another scenario is an input error, as in the gate', async (t) => {
  const [a, b] = [await fixture('ci-smoke-a'), await fixture('ci-smoke-b')];
  const other = { ...a, scenario: { ...a.scenario, name: 'lossy-wisp' } };
  const verdict = runVerdict(runView(b, 'b'), { ref: previous, view: runView(other, 'other') });
  t.is(verdict.exitCode, 2);
  t.deepEqual(verdict.inputErrors, ['the baseline other is a run of scenario lossy-wisp, the run is of ci-smoke']);
});
