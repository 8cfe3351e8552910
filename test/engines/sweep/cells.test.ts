// --set axes and the cells they make: every combination once, the first axis slowest,
// ids that name the values; malformed options refused with what was expected.
import test from 'ava';
import { parseAxes, parseAxis, sweepCells, SweepInputError } from '../../../lab/engines/sweep/cells.ts';

test('an axis is a field and its values; a list value keeps its commas', (t) => {
  t.deepEqual(parseAxis('links.a.loss=0%,1%,3%'), { path: 'links.a.loss', values: ['0%', '1%', '3%'] });
  t.deepEqual(parseAxis('workloads.throughput.flows=[1],[1, 4]'), { path: 'workloads.throughput.flows', values: ['[1]', '[1, 4]'] });
});

test('the cartesian product, first axis slowest, ids with number and values', (t) => {
  const cells = sweepCells(parseAxes(['links.a.loss=0%,1%', 'links.b.delay=10ms,50ms,150ms']));
  t.deepEqual(
    cells.map((c) => c.settings.map((s) => s.value).join(' ')),
    ['0% 10ms', '0% 50ms', '0% 150ms', '1% 10ms', '1% 50ms', '1% 150ms'],
  );
  t.is(cells[0]!.id, '01_links.a.loss=0pct_links.b.delay=10ms');
  t.is(new Set(cells.map((c) => c.id)).size, 6);
  t.is(sweepCells([{ path: 'repeat', values: Array.from({ length: 120 }, (_, i) => String(i + 1)) }])[0]!.id, '001_repeat=1');
});

test('malformed --set options are refused, saying what was expected', (t) => {
  const message = (options: string[]) => t.throws(() => parseAxes(options), { instanceOf: SweepInputError })?.message;
  t.is(message([]), 'sweep: at least one --set field=value1,value2,... is needed');
  t.is(message(['links.a.loss']), '--set links.a.loss: expected field.path=value1,value2,... (e.g. links.a.loss=0%,1%,3%)');
  t.is(message(['links..a=1%']), '--set links..a=1%: expected field.path=value1,value2,... (e.g. links.a.loss=0%,1%,3%)');
  t.is(message(['links.a.loss=1%,,2%']), '--set links.a.loss=1%,,2%: an empty value');
  t.is(message(['links.a.loss=1%,1%']), '--set links.a.loss=1%,1%: 1% given twice');
  t.is(message(['repeat=1,2', 'repeat=3']), '--set repeat: given twice (one --set per field, its values separated by commas)');
});
