// Series: runs in the order they started, a new segment at every change of conditions,
// and a run's own-series baseline the latest earlier run of the same conditions (also
// across a segment of other conditions in between).
import test from 'ava';
import type { Conditions } from '../../../lab/report/history/conditions.ts';
import { inSeries } from '../../../lab/report/history/series.ts';

const conditions = (revision: string, kernel = '6.18'): Conditions => ({ scenarioSha256: 's', linkBackend: 'userspace', kernel, revision, dirty: false });
const run = (runId: string, startedAt: string, c: Conditions) => ({ runId, startedAt, conditions: c, conditionsHash: `${c.revision}/${c.kernel}` });

test('segments follow the start order and change with the conditions; the baseline is the latest run of the same conditions', (t) => {
  const runs = [
    run('r3', '2026-01-03T00:00:00Z', conditions('b')),
    run('r1', '2026-01-01T00:00:00Z', conditions('a')),
    run('r5', '2026-01-05T00:00:00Z', conditions('a')),
    run('r2', '2026-01-02T00:00:00Z', conditions('a')),
    run('r4', '2026-01-04T00:00:00Z', conditions('b', '6.19')),
  ];
  const series = inSeries(runs, (r) => r);
  t.deepEqual(
    series.map((s) => [s.run.runId, s.segment, s.changes, s.previous?.runId]),
    [
      ['r1', 0, [], undefined],
      ['r2', 0, [], 'r1'],
      ['r3', 1, ['commit'], undefined],
      ['r4', 2, ['kernel'], undefined],
      ['r5', 3, ['kernel', 'commit'], 'r2'],
    ],
  );
});

test('runs that started at the same moment are ordered by run id', (t) => {
  const same = '2026-01-01T00:00:00Z';
  const series = inSeries([run('b', same, conditions('a')), run('a', same, conditions('a'))], (r) => r);
  t.deepEqual(series.map((s) => s.run.runId), ['a', 'b']);
});
