// The gate on recorded results: two real runs of scenarios/ci-smoke.yaml with the same
// code (A/A), and variants derived from them (said in each test) that shift samples to
// emulate a regression, or add noise that is not one.
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runGate } from '../../lab/gate/gate.ts';
import type { Results } from '../../lab/report/results.ts';
import { fixture, runDirFrom } from '../report/html-helpers.ts';
import { dropSamples, jitter, keepRepetitions, mapSamples, withRules } from './derive.ts';

const COMMITTED_BASELINE = path.resolve(import.meta.dirname, '../../reports/baselines/ci-smoke.json');
/** The system whose regressions the gate exists to catch. */
const SUBJECT = 'mprelay';
const is = (system: string, workload: string, metric: string) => (s: Results['samples'][number]) => s.system === system && s.workload === workload && s.metric === metric;

async function gate(t: Parameters<typeof runDirFrom>[0], now: Results, baseline?: Results) {
  const run = await runDirFrom(t, now);
  return runGate({ run, ...(baseline && { baseline: await runDirFrom(t, baseline) }) });
}

test('A/A: the same code run twice passes, both ways round, and its rules pass', async (t) => {
  const [a, b] = [await fixture('ci-smoke-a'), await fixture('ci-smoke-b')];
  for (const [now, baseline] of [[b, a], [a, b]] as const) {
    const outcome = await gate(t, now, baseline);
    t.is(outcome.exitCode, 0, outcome.text);
    t.notRegex(outcome.text, /REGRESSION/);
    t.regex(outcome.text, /metrics compared: 0 regressed/);
    t.regex(outcome.text, /verdict: ok \(exit 0\)/);
    t.regex(outcome.markdown, /## mplab gate: ✅ ok/);
  }
});

test('both recorded runs pass against the committed baseline file, strictly, as .ci/run gates', async (t) => {
  for (const name of ['ci-smoke-a', 'ci-smoke-b']) {
    const outcome = await runGate({ run: await runDirFrom(t, await fixture(name)), baseline: COMMITTED_BASELINE, strict: true });
    t.is(outcome.exitCode, 0, outcome.text);
    t.regex(outcome.text, /metrics compared: 0 regressed/);
  }
});

test('a relay that pays one more round trip per connection is caught', async (t) => {
  // Derived: run B with every SUBJECT connect ttfb sample 30 ms later (link A's round
  // trip), what losing the warm pool costs.
  const [a, b] = [await fixture('ci-smoke-a'), await fixture('ci-smoke-b')];
  const slower = mapSamples(b, is(SUBJECT, 'connect', 'ttfb_ms'), (v) => v + 30);
  const outcome = await gate(t, slower, a);
  t.is(outcome.exitCode, 1, outcome.text);
  t.regex(outcome.text, new RegExp(`REGRESSION\\s+${SUBJECT} connect ttfb_ms: p50 baseline [\\d.]+ ms \\(n=\\d+\\) -> now [\\d.]+ ms \\(n=\\d+\\): \\+[\\d.]+ ms \\(\\+\\d+ %\\), 95 % interval \\[[\\d.]+, [\\d.]+\\] ms, noise floor [\\d.]+ ms`));
  t.regex(outcome.text, /metrics compared: 1 regressed/);
  t.regex(outcome.markdown, new RegExp(`\\| \\*\\*REGRESSION\\*\\* \\| ${SUBJECT} \\| connect \\| ttfb_ms \\(p50\\) \\|`));
});

test('a goodput drop is caught (higher is better)', async (t) => {
  // Derived: run B with the SUBJECT's download goodput samples at 70 %.
  const [a, b] = [await fixture('ci-smoke-a'), await fixture('ci-smoke-b')];
  const outcome = await gate(t, mapSamples(b, is(SUBJECT, 'throughput', 'goodput_down_1flow_mbps'), (v) => v * 0.7), a);
  t.is(outcome.exitCode, 1, outcome.text);
  t.regex(outcome.text, new RegExp(`REGRESSION\\s+${SUBJECT} throughput goodput_down_1flow_mbps: p50 baseline [\\d.]+ Mbit/s`));
});

test('noise is not a regression: jitter on every sample, and a real shift below the noise floor', async (t) => {
  const [a, b] = [await fixture('ci-smoke-a'), await fixture('ci-smoke-b')];
  // Derived: run B with every sample scaled by a random factor in [0.95, 1.05].
  const noisy = await gate(t, jitter(b, 0.05, (s) => s.metric !== 'survived_link_a'), a);
  t.is(noisy.exitCode, 0, noisy.text);
  // Derived: run B with SUBJECT's ttfb 2 ms later on every sample: real (the test and
  // the interval see it) but under the 10 % floor (3.7 ms here), so not a regression.
  const shifted = await gate(t, mapSamples(b, is(SUBJECT, 'connect', 'ttfb_ms'), (v) => v + 2), b);
  t.is(shifted.exitCode, 0, shifted.text);
  t.regex(shifted.markdown, new RegExp(`\\| changed, within noise floor \\| ${SUBJECT} \\| connect \\| ttfb_ms \\(p50\\)`));
});

test('a system that failed in every repetition is a regression; one metric without samples is not', async (t) => {
  // Derived: run B with no SUBJECT connect samples, as when it fails to start.
  const [a, b] = [await fixture('ci-smoke-a'), await fixture('ci-smoke-b')];
  const outcome = await gate(t, dropSamples(b, (s) => s.system === SUBJECT && s.workload === 'connect'), a);
  t.is(outcome.exitCode, 1, outcome.text);
  t.regex(outcome.text, new RegExp(`REGRESSION\\s+${SUBJECT} connect: no samples in this run, for any metric \\(baseline: \\d+\\): failed in every repetition`));
  // The rule on that metric fails too, saying why.
  t.regex(outcome.text, new RegExp(`FAIL\\s+${SUBJECT}\\.connect\\.ttfb_ms\\.p50 <[^\\n]*\\n\\s+no samples for ${SUBJECT}\\.connect\\.ttfb_ms\\.p50`));
  // Derived: run B without SUBJECT's failover recovery samples: one metric without
  // samples is reported, and the other metrics of its workload judge it.
  const unrecovered = await gate(t, dropSamples(b, is(SUBJECT, 'failover', 'recovery_link_a_ms')), a);
  t.is(unrecovered.exitCode, 0, unrecovered.text);
  t.regex(unrecovered.text, new RegExp(`not compared ${SUBJECT} failover recovery_link_a_ms: no samples in this run \\(baseline: \\d+\\)`));
});

test('a rule the run clearly breaks fails with its interval; one it straddles is only reported', async (t) => {
  const b = await fixture('ci-smoke-b');
  const rules = [
    `${SUBJECT}.connect.ttfb_ms.p50 > 2 * redsocks-dante.connect.ttfb_ms.p50`,
    `${SUBJECT}.connect.ttfb_ms.p50 < 1000`,
  ];
  const outcome = await gate(t, withRules(b, rules));
  t.is(outcome.exitCode, 1, outcome.text);
  t.regex(outcome.text, /FAIL\s+mprelay\.connect\.ttfb_ms\.p50 > 2 \* redsocks-dante[^\n]*\n\s+mprelay\.connect\.ttfb_ms\.p50 = [\d.]+ ms \(n=\d+\), redsocks-dante\.connect\.ttfb_ms\.p50 = [\d.]+ ms \(n=\d+\); ratio [\d.]+, 95 % interval \[[\d.]+, [\d.]+\], required > 2\.00/);
  t.regex(outcome.text, /PASS\s+mprelay\.connect\.ttfb_ms\.p50 < 1000/);
  // A threshold inside the quantity's own interval: neither pass nor fail.
  const median = (await gate(t, b)).text.match(/mprelay\.connect\.ttfb_ms\.p50 = ([\d.]+) ms/)![1]!;
  const straddled = await gate(t, withRules(b, [`${SUBJECT}.connect.ttfb_ms.p50 < ${median}`]));
  t.is(straddled.exitCode, 0, straddled.text);
  t.regex(straddled.text, /INCONCLUSIVE/);
  // --strict: a rule the gate could not decide fails the gate, and says why.
  const strict = await runGate({ run: await runDirFrom(t, withRules(b, [`${SUBJECT}.connect.ttfb_ms.p50 < ${median}`])), strict: true });
  t.is(strict.exitCode, 1, strict.text);
  t.regex(strict.text, /verdict: UNDECIDED \(strict: 1 inconclusive rule\(s\)\) \(exit 1\)\n$/);
  t.regex(strict.markdown, /^## mplab gate: ❌ UNDECIDED \(strict: 1 inconclusive rule\(s\)\)/);
});

test('a p95 from fewer than 20 samples is no number: the rule is inconclusive, saying why', async (t) => {
  // failover.stall_link_a_ms has one sample per repetition: 5 here.
  const b = withRules(await fixture('ci-smoke-b'), [`${SUBJECT}.failover.stall_link_a_ms.p95 < 100000`]);
  const outcome = await gate(t, b);
  t.is(outcome.exitCode, 0, outcome.text);
  t.regex(outcome.text, new RegExp(`INCONCLUSIVE\\s+${SUBJECT}\\.failover\\.stall_link_a_ms\\.p95 < 100000\\n\\s+too few samples: ${SUBJECT}\\.failover\\.stall_link_a_ms\\.p95 has 5, p95 needs 20\\n`));
});

test('--strict: metrics with too few samples to judge fail the gate; the same runs pass when judgeable', async (t) => {
  // Derived: both runs cut to their first 2 repetitions, so the failover metrics have 2 samples a side.
  const [a, b] = [keepRepetitions(await fixture('ci-smoke-a'), [1, 2]), keepRepetitions(await fixture('ci-smoke-b'), [1, 2])];
  const lenient = await gate(t, b, a);
  t.is(lenient.exitCode, 0, lenient.text);
  const strict = await runGate({ run: await runDirFrom(t, b), baseline: await runDirFrom(t, a), strict: true });
  t.is(strict.exitCode, 1, strict.text);
  t.regex(strict.text, /too few samples to call a regression[^\n]*failover stall_link_a_ms \(n=2 vs 2\)/);
  // A rule on such a metric may be inconclusive too (when a window of it was rejected as a lab error, leaving one repetition).
  t.regex(strict.text, /verdict: UNDECIDED \(strict: (\d+ inconclusive rule\(s\), )?\d+ metric\(s\) with too few samples or from one repetition\) \(exit 1\)\n$/);
  const full = await runGate({ run: await runDirFrom(t, await fixture('ci-smoke-b')), baseline: await runDirFrom(t, await fixture('ci-smoke-a')), strict: true });
  t.is(full.exitCode, 0, full.text);
  t.regex(full.text, /, 0 with too few samples to judge/);
  t.regex(full.text, /verdict: ok \(strict\) \(exit 0\)\n$/);
});

test('one repetition a side is not judged: no interval, no regression called, and --strict says so', async (t) => {
  // Derived: run B cut to its first repetition, against run A whole; its connect ttfb 30 ms
  // later (what the test above catches with 5 repetitions) is not called from one.
  const [a, b] = [await fixture('ci-smoke-a'), await fixture('ci-smoke-b')];
  const single = keepRepetitions(mapSamples(b, is(SUBJECT, 'connect', 'ttfb_ms'), (v) => v + 30), [1]);
  const lenient = await gate(t, single, a);
  t.is(lenient.exitCode, 0, lenient.text);
  t.notRegex(lenient.text, /REGRESSION/);
  t.regex(lenient.text, new RegExp(`not judged, a side has one repetition[^\\n]*${SUBJECT} connect ttfb_ms \\(1 vs 5 repetitions\\)`));
  const strict = await runGate({ run: await runDirFrom(t, single), baseline: await runDirFrom(t, a), strict: true });
  t.is(strict.exitCode, 1, strict.text);
  t.regex(strict.text, /verdict: UNDECIDED \(strict: .*\d+ metric\(s\) with too few samples or from one repetition\) \(exit 1\)\n$/);
  const ruled = await gate(t, withRules(single, [`${SUBJECT}.connect.ttfb_ms.p50 < 1000`]));
  t.regex(ruled.text, new RegExp(`INCONCLUSIVE\\s+${SUBJECT}\\.connect\\.ttfb_ms\\.p50 < 1000\\n\\s+one repetition: ${SUBJECT}\\.connect\\.ttfb_ms\\.p50 has no interval`));
});

test('bad input exits 2 with the reason', async (t) => {
  const b = await fixture('ci-smoke-b');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mplab-gate-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  const missing = await runGate({ run: path.join(dir, 'nope') });
  t.is(missing.exitCode, 2);
  t.regex(missing.text, /bad input: .*nope: no such file or directory/);

  const empty = await runGate({ run: dir });
  t.is(empty.exitCode, 2);
  t.regex(empty.text, /no results\.json in this directory/);

  // A results file of another schema: a summary without its interval.
  const broken = JSON.parse(JSON.stringify(b)) as { summary: Record<string, Record<string, Record<string, { ci95?: unknown }>>> };
  delete broken.summary[SUBJECT]!.connect!.ttfb_ms!.ci95;
  const brokenFile = path.join(dir, 'broken.json');
  await writeFile(brokenFile, JSON.stringify(broken));
  const mismatch = await runGate({ run: brokenFile });
  t.is(mismatch.exitCode, 2);
  t.regex(mismatch.text, new RegExp(`is not a valid results file:\\n\\s+summary\\.${SUBJECT}\\.connect\\.ttfb_ms\\.ci95`));

  await writeFile(path.join(dir, 'truncated.json'), JSON.stringify(b).slice(0, 500));
  const truncated = await runGate({ run: path.join(dir, 'truncated.json') });
  t.is(truncated.exitCode, 2);
  t.regex(truncated.text, /truncated\.json: .*JSON/);

  const badRule = await gate(t, withRules(b, ['mprelay.connect.ttfb_ms.p50 < 0.6 x redsocks-dante.connect.ttfb_ms.p50']));
  t.is(badRule.exitCode, 2);
  t.regex(badRule.text, /bad gate rule ".*" at column 35: unexpected "x" after the end of the rule/);

  const notRun = await gate(t, withRules(b, ['ssh-tunnel.connect.ttfb_ms.p50 < 100']));
  t.is(notRun.exitCode, 2);
  t.regex(notRun.text, /names ssh-tunnel\.connect\.ttfb_ms\.p50, but .* did not run ssh-tunnel × connect/);

  const other = { ...b, scenario: { ...b.scenario, name: 'lossy-wisp' } };
  const wrongBaseline = await gate(t, b, other);
  t.is(wrongBaseline.exitCode, 2);
  t.regex(wrongBaseline.text, /is a run of scenario lossy-wisp, the run is of ci-smoke/);

  // The Markdown for a CI summary says the same.
  const markdownFile = path.join(dir, 'summary.md');
  await runGate({ run: path.join(dir, 'nope'), markdownFile });
  t.regex(await readFile(markdownFile, 'utf8'), /## mplab gate: bad input[\s\S]*no such file or directory/);
});
