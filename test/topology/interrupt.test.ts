// Ctrl-C during a run tears everything down; `mplab clean` removes what a killed run left.
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { cleanLeftovers } from '../../lab/topology/clean.ts';
import { listNamespaces } from '../../lab/topology/namespace.ts';
import { SCENARIOS_DIR } from '../helpers/scenarios.ts';

const CLI = path.resolve(import.meta.dirname, '../../lab/cli.ts');
const runNamespaces = async (runId: string) => (await listNamespaces()).filter((ns) => ns.startsWith(`mpl-${runId}-`));

/** Starts `mplab links` and resolves with its run id once its namespaces exist. */
async function startLinksRun() {
  const child = execa('node', ['--import', 'tsx', CLI, 'links', path.join(SCENARIOS_DIR, 'test-clean.yaml')], { reject: false, all: true });
  let output = '';
  child.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let i = 0; i < 200 && !/measuring link a/.test(output); i++) await new Promise((r) => setTimeout(r, 100));
  const runId = /as run ([a-z0-9]+)/.exec(output)?.[1] ?? 'none';
  return { child, output: () => output, runId };
}

test.serial('Ctrl-C while measuring leaves no namespace behind', async (t) => {
  const run = await startLinksRun();
  t.regex(run.output(), /measuring link a/);
  run.child.kill('SIGINT');
  const result = await run.child;
  t.is(result.exitCode, 130);
  t.regex(run.output(), /SIGINT: tearing down/);
  t.deepEqual(await runNamespaces(run.runId), []);
});

test.serial('mplab clean removes what a SIGKILLed run left, and nothing of a live run', async (t) => {
  const victim = await startLinksRun();
  victim.child.kill('SIGKILL');
  await victim.child;
  t.is((await runNamespaces(victim.runId)).length, 4, 'a SIGKILLed run cannot clean up after itself');
  const live = await startLinksRun();
  const removed = await cleanLeftovers();
  t.deepEqual(await runNamespaces(victim.runId), []);
  t.true(removed.includes(`mpl-${victim.runId}-gw-local`));
  t.is((await runNamespaces(live.runId)).length, 4, 'the live run is untouched');
  live.child.kill('SIGINT');
  await live.child;
  t.deepEqual(await runNamespaces(live.runId), []);
});
