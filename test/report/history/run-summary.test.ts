// The compact summary the index loads: medians, intervals and n only, no samples, a
// small fraction of results.json; read defensively (p95/p99 may be null, a summary may
// carry the repetitions it came from).
import test from 'ava';
import { runSummaryOf } from '../../../lab/report/history/run-summary.ts';
import type { Results } from '../../../lab/report/results.ts';
import { fixture } from '../html-helpers.ts';

test('every summary of the run, compact, without samples', async (t) => {
  const results = await fixture('ci-smoke-a');
  const summary = runSummaryOf(results);
  const text = JSON.stringify(summary);
  t.false(text.includes('"samples"') || text.includes('"value"'));
  t.true(text.length < JSON.stringify(results).length / 10, `${text.length} bytes`);
  const source = results.summary.mprelay!.connect!.ttfb_ms!;
  if (!source.ci95) return t.fail('the fixture has 5 repetitions: an interval');
  t.deepEqual(summary.stats.mprelay!.connect!.ttfb_ms, {
    n: source.n,
    p50: Number(source.p50.toPrecision(5)),
    lo: Number(source.ci95[0].toPrecision(5)),
    hi: Number(source.ci95[1].toPrecision(5)),
    mean: Number(source.mean.toPrecision(5)),
    reps: source.reps,
  });
  const counted = (table: Record<string, Record<string, Record<string, unknown> | undefined> | undefined>) =>
    Object.values(table).flatMap((w) => Object.values(w ?? {}).flatMap((m) => Object.keys(m ?? {}))).length;
  t.is(counted(summary.stats), counted(results.summary));
  t.is(summary.startedAt, results.run.startedAt);
  t.is(summary.conditions.revision, results.environment.git.revision);
});

test('summaries of a later schema: p95/p99 null below their sample counts, repetitions counted, new fields ignored', async (t) => {
  const results = await fixture('ci-smoke-a');
  const later = structuredClone(results) as unknown as { summary: Record<string, Record<string, Record<string, Record<string, unknown>>>> };
  Object.assign(later.summary.mprelay!.failover!.stall_link_a_ms!, { p95: null, p99: null, reps: 3, censored: 0 });
  delete later.summary.mprelay!.failover!.survived_link_a!.mean;
  const summary = runSummaryOf(later as unknown as Results);
  t.like(summary.stats.mprelay!.failover!.stall_link_a_ms, { n: results.summary.mprelay!.failover!.stall_link_a_ms!.n, reps: 3 });
  t.false('censored' in summary.stats.mprelay!.failover!.stall_link_a_ms!);
  t.is(summary.stats.mprelay!.failover!.survived_link_a!.mean, null);
});

test('a summary of one repetition has no interval, even from results written when it had one', async (t) => {
  const results = await fixture('ci-smoke-a');
  const older = structuredClone(results);
  Object.assign(older.summary.mprelay!.connect!.ttfb_ms!, { reps: 1, ci95: [30, 31] });
  Object.assign(older.summary.mprelay!.hol!.ttfb_loaded_ms!, { reps: 1, ci95: null });
  const summary = runSummaryOf(older);
  t.like(summary.stats.mprelay!.connect!.ttfb_ms, { lo: null, hi: null, reps: 1 });
  t.like(summary.stats.mprelay!.hol!.ttfb_loaded_ms, { lo: null, hi: null, reps: 1 });
});
