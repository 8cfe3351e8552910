// The path policy on synthetic link figures: interactive connections send on their home
// link (or the fastest up link when it is down), every other up link holds a backup
// subflow, bulk ones send everywhere, dead links lose their subflows only while another is up.
import test from 'ava';
import { sendingLink, wantedSubflows, type LinkView } from '../../relay/path-policy.ts';

const fast: LinkView = { name: 'fast', verdict: 'up', srttMs: 16 };
const slow: LinkView = { name: 'slow', verdict: 'up', srttMs: 600 };
const interactive = { home: 'fast', bulk: false, deadLink: 'remove' as const };

test('an interactive connection sends on its home link only; the others are backup', (t) => {
  t.deepEqual(wantedSubflows([fast, slow], interactive), ['active', 'backup']);
  t.deepEqual(wantedSubflows([fast, slow], { ...interactive, home: 'slow' }), ['backup', 'active']);
});

test('a bulk connection sends on every link that is up', (t) => {
  t.deepEqual(wantedSubflows([fast, slow], { ...interactive, bulk: true }), ['active', 'active']);
  t.deepEqual(wantedSubflows([fast, { ...slow, verdict: 'unknown' }], { ...interactive, bulk: true }), ['active', 'keep']);
});

test('with its home down, a connection sends on the up link with the shortest round trip', (t) => {
  const third: LinkView = { name: 'third', verdict: 'up', srttMs: 40 };
  t.is(sendingLink([{ ...fast, verdict: 'down' }, slow, third], 'fast'), 'third');
  t.deepEqual(wantedSubflows([{ ...fast, verdict: 'down' }, slow, third], interactive), ['absent', 'backup', 'active']);
  // No home (routing chose): the fastest; a link that never answered counts as slowest.
  t.is(sendingLink([{ ...slow, srttMs: undefined }, fast], undefined), 'fast');
  // A tie goes to the first listed (the order of preference).
  t.is(sendingLink([{ ...slow, srttMs: 16 }, fast], undefined), 'slow');
});

test('a dead link keeps a backup subflow or what it has when the failover action says so', (t) => {
  const links = [fast, { ...slow, verdict: 'down' as const }];
  t.deepEqual(wantedSubflows(links, interactive), ['active', 'absent']);
  t.deepEqual(wantedSubflows(links, { ...interactive, deadLink: 'backup' }), ['active', 'backup']);
  t.deepEqual(wantedSubflows(links, { ...interactive, deadLink: 'none' }), ['active', 'keep']);
});

test('with no link up nothing changes: removing a subflow could close the last one', (t) => {
  t.deepEqual(wantedSubflows([{ ...fast, verdict: 'down' }, { ...slow, verdict: 'down' }], interactive), ['keep', 'keep']);
  t.deepEqual(wantedSubflows([{ ...fast, verdict: 'unknown' }, { ...slow, verdict: 'unknown' }], interactive), ['keep', 'keep']);
  t.is(sendingLink([], 'fast'), undefined);
});
