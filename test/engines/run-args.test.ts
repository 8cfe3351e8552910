// What a container's `mplab run` gets from the host's command line: every option but
// those about where the run executes and where its output goes.
import { parseArgs } from 'node:util';
import test from 'ava';
import { forwardedRunArgs } from '../../lab/engines/run-args.ts';

const tokensOf = (args: string[]) =>
  parseArgs({
    args,
    allowPositionals: true,
    tokens: true,
    options: Object.fromEntries(
      [...['engine', 'docker-host', 'systems', 'workloads', 'out', 'repeat', 'engines', 'resume'].map((name) => [name, { type: 'string' as const }]), ['quick', { type: 'boolean' as const }], ['set', { type: 'string' as const, multiple: true }]],
    ),
  }).tokens;

test('run options pass through, host-only options and positionals do not', (t) => {
  const tokens = tokensOf(['run', 'x.yaml', '--quick', '--engine', 'docker', '--docker-host=unix:///a.sock', '--systems', 'mprelay', '--out', '/tmp/r', '--repeat=3']);
  t.deepEqual(forwardedRunArgs(tokens), ['--quick', '--systems', 'mprelay', '--repeat', '3']);
});

test('a sweep forwards its run options, not its own', (t) => {
  const tokens = tokensOf(['sweep', 'x.yaml', '--set', 'links.a.loss=0%,1%', '--engines', 'unix:///a.sock', '--workloads', 'connect', '--resume', 'd']);
  t.deepEqual(forwardedRunArgs(tokens), ['--workloads', 'connect']);
});
