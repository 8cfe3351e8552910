// The Docker engines the Docker tests run on: MPLAB_TEST_DOCKER_HOSTS, comma-separated
// (`.ci/dockerd up 2` starts two private ones and prints it; .ci/run does so). Without
// it the Docker tests are skipped, and say so.
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { connectEngine, type Engine } from '../../../lab/engines/docker-host.ts';
import { kindFilter } from '../../../lab/engines/labels.ts';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
export const EQUAL_LINKS = path.join(FIXTURES, 'equal-links.yaml');

const HOSTS = (process.env.MPLAB_TEST_DOCKER_HOSTS ?? '').split(',').filter(Boolean);

type DockerTest = (title: string, implementation: (t: ExecutionContext) => Promise<void>) => void;

/** `test.serial` when at least `count` engines are given, else `test.skip` (after saying why, once per file). */
export function dockerTest(count: number): DockerTest {
  if (HOSTS.length >= count) return (title, implementation) => test.serial(title, implementation);
  process.stderr.write(
    `Docker tests skipped: they need ${count} Docker engine(s) in MPLAB_TEST_DOCKER_HOSTS (have ${HOSTS.length}); ` +
      'as root: export MPLAB_TEST_DOCKER_HOSTS=$(bash .ci/dockerd up 2)\n',
  );
  return (title, implementation) => test.skip(`${title} (no Docker engines: skipped)`, implementation);
}

export function testEngines(count: number): Engine[] {
  return HOSTS.slice(0, count).map(connectEngine);
}

/** The lab's containers on an engine, in any state. */
export async function labContainers(engine: Engine): Promise<string[]> {
  return (await engine.docker.listContainers({ all: true, filters: kindFilter('run') })).map((c) => c.Id);
}
