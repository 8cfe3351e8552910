// A --quick run in a container against the same scenario run directly, back to back:
// its results.json has the same shape (the same fields, down to every sample's), says
// where it ran, and its figures agree: mprelay's median time to first byte within 15 %
// of the direct run's (the links' delays are equal, so that median does not depend on
// which link a connection took). The run directory works with `mplab report` and
// `mplab gate` as a local one does, and the engine is left with no container.
import { readFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import avaTest from 'ava';
import { runInDocker } from '../../lab/engines/docker-run.ts';
import { PRIVILEGES } from '../../lab/engines/privileges.ts';
import { runGate } from '../../lab/gate/gate.ts';
import { buildReport } from '../../lab/report/html/build.ts';
import { readResults, type Results } from '../../lab/report/results.ts';
import { runScenario } from '../../lab/run/run.ts';
import { loadScenario } from '../../lab/scenario/load.ts';
import { dockerTest, EQUAL_LINKS, labContainers, testEngines } from './helpers/engines.ts';

const test = dockerTest(1);

interface Runs {
  outDir: string;
  direct: Results;
  docker: Results;
  dockerDir: string;
  directMs: number;
  dockerMs: number;
}

let runs: Promise<Runs> | undefined;

/** Both runs, once for the file: direct first, then in the container. */
function bothRuns(): Promise<Runs> {
  runs ??= (async () => {
    const [engine] = testEngines(1);
    const outDir = await mkdtemp(path.join(tmpdir(), 'mplab-docker-run-'));
    const scenario = await loadScenario(EQUAL_LINKS);
    let startedAt = Date.now();
    const direct = await runScenario(scenario, { outDir: path.join(outDir, 'direct'), quick: true, onProgress: () => undefined });
    const directMs = Date.now() - startedAt;
    startedAt = Date.now();
    const docker = await runInDocker({
      dockerHost: engine!.url,
      scenarioText: await readFile(EQUAL_LINKS, 'utf8'),
      scenarioName: scenario.name,
      runArgs: ['--quick'],
      outDir: path.join(outDir, 'docker'),
      log: () => undefined,
    });
    const dockerMs = Date.now() - startedAt;
    return { outDir, direct: direct.results, docker: await readResults(path.join(docker.runDir, 'results.json')), dockerDir: docker.runDir, directMs, dockerMs };
  })();
  return runs;
}

avaTest.after.always(async () => {
  if (runs) await rm((await runs).outDir, { recursive: true, force: true });
});

/** Every field path in a value, arrays' elements as []: the shape, whatever the values. */
function fieldPaths(value: unknown, prefix = ''): Set<string> {
  const paths = new Set<string>();
  const visit = (v: unknown, at: string) => {
    if (Array.isArray(v)) for (const item of v) visit(item, `${at}[]`);
    else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        paths.add(`${at}.${key}`);
        visit(child, `${at}.${key}`);
      }
    }
  };
  visit(value, prefix);
  return paths;
}

test('the run in a container writes results.json of the same shape as the direct run, and says where it ran', async (t) => {
  const { direct, docker, directMs, dockerMs } = await bothRuns();
  t.log(`direct ${(directMs / 1000).toFixed(1)} s, in a container ${(dockerMs / 1000).toFixed(1)} s (image already built)`);
  // Data, not shape: the kernel counters a workload moved (nstat lists the non-zero ones),
  // and which metrics have a summary (a window above capacity is a lab error, no sample):
  // summaries and metric infos are compared by the shape of one.
  const withoutEngine = (paths: Set<string>) =>
    [
      ...new Set(
        [...paths]
          .filter((p) => !p.startsWith('.environment.engine.') && !/^\.runs\[\]\.evidence\.counters\.[^.]+\./.test(p))
          .map((p) => p.replace(/^\.summary\.[^.]+\.[^.]+\.[^.]+/, '.summary.S.W.M').replace(/^\.summary\.[^.]+\.[^.]+$/, '.summary.S.W').replace(/^\.summary\.[^.]+$/, '.summary.S').replace(/^\.metrics\.[^.]+/, '.metrics.M')),
      ),
    ].sort();
  const directPaths = withoutEngine(fieldPaths(direct));
  const dockerPaths = withoutEngine(fieldPaths(docker));
  t.deepEqual(
    dockerPaths.filter((p) => !directPaths.includes(p)),
    [],
    'fields only the container run has',
  );
  t.deepEqual(
    directPaths.filter((p) => !dockerPaths.includes(p)),
    [],
    'fields only the direct run has',
  );
  t.deepEqual(direct.environment.engine, { kind: 'local' });
  const [engine] = testEngines(1);
  const record = docker.environment.engine;
  if (record?.kind !== 'docker') return t.fail(`environment.engine: ${JSON.stringify(record)}`);
  t.is(record.dockerHost, engine!.url);
  t.regex(record.image, /^mplab:[0-9a-f]{16}$/);
  t.true(PRIVILEGES.includes(record.privilege));
  t.deepEqual(record.git, direct.environment.git, 'the container run names the tree it was built from');
  t.deepEqual(
    docker.runs.map((r) => `${r.system} ${r.workload} ${r.status}`),
    direct.runs.map((r) => `${r.system} ${r.workload} ${r.status}`),
  );
});

test("mprelay's median time to first byte in the container is within 15 % of the direct run's", async (t) => {
  const { direct, docker } = await bothRuns();
  const directTtfb = direct.summary.mprelay?.connect?.ttfb_ms;
  const dockerTtfb = docker.summary.mprelay?.connect?.ttfb_ms;
  if (!directTtfb || !dockerTtfb) return t.fail('no mprelay connect.ttfb_ms summary');
  t.log(`mprelay ttfb p50: direct ${directTtfb.p50.toFixed(1)} ms (n=${directTtfb.n}), container ${dockerTtfb.p50.toFixed(1)} ms (n=${dockerTtfb.n})`);
  t.is(dockerTtfb.n, directTtfb.n);
  const ratio = dockerTtfb.p50 / directTtfb.p50;
  t.true(Math.abs(ratio - 1) <= 0.15, `container / direct = ${ratio.toFixed(3)}`);
});

test('the copied run directory has the usual files and works with mplab report and mplab gate; no container is left', async (t) => {
  const { dockerDir, direct, outDir } = await bothRuns();
  const files = await readdir(dockerDir);
  for (const name of ['results.json', 'samples.csv', 'summary.csv', 'index.html', 'logs']) t.true(files.includes(name), name);
  t.true((await readdir(path.join(dockerDir, 'logs'))).includes('container.log'));
  t.is(await buildReport(dockerDir), path.join(dockerDir, 'index.html'));
  const directDir = path.join(outDir, 'direct', direct.scenario.name, (await readdir(path.join(outDir, 'direct', direct.scenario.name)))[0]!);
  const gate = await runGate({ run: dockerDir, baseline: directDir });
  t.true(gate.exitCode === 0 || gate.exitCode === 1, gate.text);
  for (const engine of testEngines(1)) t.deepEqual(await labContainers(engine), []);
});
