// mplab: commands only. Parse, call, print.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cleanEngine } from './engines/docker-clean.ts';
import { connectEngine, defaultDockerHost, DockerHostError, engineList } from './engines/docker-host.ts';
import { runInDocker } from './engines/docker-run.ts';
import { forwardedRunArgs } from './engines/run-args.ts';
import { parseAxes, SweepInputError } from './engines/sweep/cells.ts';
import { resumeSweep, startSweep } from './engines/sweep/sweep.ts';
import { ensurePackages, LAB_REQUIREMENTS } from './engines/packages.ts';
import { runGate } from './gate/gate.ts';
import { buildIndex, buildReport } from './report/html/build.ts';
import { readResults } from './report/results.ts';
import { printHeadline } from './run/headline.ts';
import { formatDuration } from './run/progress.ts';
import { REPORTS_DIR, runScenario } from './run/run.ts';
import { loadScenario, ScenarioError } from './scenario/load.ts';
import { SYSTEM_NAMES, WORKLOAD_NAMES, type Scenario, type SystemNameInScenario, type WorkloadName } from './scenario/schema.ts';
import { parseDurationMs, parsePercent, type Parsed } from './scenario/units.ts';
import { systemsByName } from './systems/index.ts';
import { cleanLeftovers } from './topology/clean.ts';
import { runLinksReport } from './topology/links-report.ts';

const USAGE = `usage:
  mplab run <scenario.yaml> [--systems a,b] [--workloads w,x] [--repeat N|auto] [--precision 10%] [--budget 20m]
            [--quick] [--out DIR] [--backend B] [--engine docker [--docker-host URL]]
                                  run every system on the scenario's links; writes results, CSV and the HTML report
                                  (--precision or --budget alone imply --repeat auto; --quick: one short repetition
                                  of connect, hol and failover, or of the --workloads named, about a minute;
                                  --engine docker: inside a container on that engine (default: DOCKER_HOST or the local socket))
  mplab scenario <name> [options] the same for scenarios/<name>.yaml (\`npm run scenario <name>\`)
  mplab links <scenario.yaml> [--json] [--backend auto|userspace|netem]
                                  build the topology, measure each link against its model, tear down
  mplab report <rundir>           rebuild a run's index.html (and reports/index.html) from its results.json
  mplab report --history DIR      rebuild DIR/index.html (every run's history, with the gate's verdicts) and write DIR/history.csv
  mplab gate <rundir> [--baseline <rundir|file>] [--markdown FILE] [--strict]
                                  exit 0 ok, 1 regression (--strict: or undecided), 2 bad input
  mplab sweep <scenario.yaml> --set field=v1,v2 [--set field=v1,v2 ...] [--engines URL,URL] [--repeat N|auto] [--quick]
              [--systems a,b] [--workloads w,x] [--out DIR]
                                  one run per combination of the values (a cell), each in a container on whichever
                                  engine is free; merged into one sweep directory with a sweep report
  mplab sweep --resume <sweepdir> [--engines URL,URL]
                                  run the cells of an interrupted sweep that have no results yet
  mplab clean [--engines URL,URL] remove namespaces and processes left by killed runs (and the lab's leftover
                                  containers and superseded images on those Docker engines)
  mplab doctor                    check and install what the lab needs`;

const SCENARIOS_DIR = path.resolve(import.meta.dirname, '../scenarios');
const SWEEPS_DIR = path.join(REPORTS_DIR, 'sweeps');
const log = (line: string) => process.stderr.write(`${line}\n`);

class UsageError extends Error {}

/** Option values as parseArgs gives them (--set may be given more than once). */
type CliValues = Record<string, string | boolean | string[] | undefined>;

function listOption<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').filter(Boolean);
  const unknown = items.filter((item) => !allowed.includes(item as T));
  if (unknown.length > 0) throw new UsageError(`${flag}: unknown ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`);
  return items as T[];
}

function unitOption(value: string | undefined, parse: (text: string) => Parsed, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parse(value);
  if (!parsed.ok) throw new UsageError(`${flag}: ${parsed.message}`);
  if (parsed.value <= 0) throw new UsageError(`${flag}: ${value} must be above zero`);
  return parsed.value;
}

function backendOption(value: string | undefined) {
  if (value === undefined || value === 'auto' || value === 'userspace' || value === 'netem') return value;
  throw new UsageError(`--backend: ${value} (allowed: auto, userspace, netem)`);
}

/** The lab's own programs and those of every system the run will start. */
async function ensureInstalled(systems: readonly SystemNameInScenario[]): Promise<void> {
  const needs = systems.flatMap((name) => systemsByName[name]?.needs ?? []);
  await ensurePackages([...LAB_REQUIREMENTS, ...needs], log);
}

async function run(scenario: Scenario, values: CliValues): Promise<number> {
  const systems = listOption(values.systems as string | undefined, SYSTEM_NAMES, '--systems');
  const workloads = listOption(values.workloads as string | undefined, WORKLOAD_NAMES, '--workloads') as WorkloadName[] | undefined;
  const precision = unitOption(values.precision as string | undefined, parsePercent, '--precision');
  const budgetMs = unitOption(values.budget as string | undefined, parseDurationMs, '--budget');
  let repeat = repeatOption(values.repeat as string | undefined);
  if (repeat === undefined && (precision !== undefined || budgetMs !== undefined)) repeat = 'auto';
  await ensureInstalled(systems ?? scenario.systems);
  const outDir = (values.out as string | undefined) ?? REPORTS_DIR;
  const { runDir, results } = await runScenario(scenario, {
    outDir,
    systems,
    workloads,
    repeat,
    precision,
    budgetMs,
    quick: values.quick === true,
    backend: backendOption(values.backend as string | undefined),
  });
  await buildReport(runDir);
  await buildIndex(outDir);
  printHeadline(results, path.join(runDir, 'index.html'));
  return 0;
}

type Tokens = NonNullable<ReturnType<typeof parseArgs>['tokens']>;

/** `run --engine docker`: the same run in a container; its directory comes back under --out as a local run's would. */
async function runOnEngine(file: string, scenario: Scenario, values: CliValues, tokens: Tokens): Promise<number> {
  if (values.engine !== 'docker') throw new UsageError(`--engine: ${String(values.engine)} (allowed: docker)`);
  const outDir = (values.out as string | undefined) ?? REPORTS_DIR;
  const { runDir } = await runInDocker({
    dockerHost: (values['docker-host'] as string | undefined) ?? defaultDockerHost(),
    scenarioText: await readFile(file, 'utf8'),
    scenarioName: scenario.name,
    runArgs: forwardedRunArgs(tokens),
    outDir,
    log,
  });
  await buildReport(runDir);
  await buildIndex(outDir);
  printHeadline(await readResults(path.join(runDir, 'results.json')), path.join(runDir, 'index.html'));
  return 0;
}

function repeatOption(value: string | undefined): number | 'auto' | undefined {
  if (value === undefined || value === 'auto') return value;
  const repeat = Number(value);
  if (!(Number.isInteger(repeat) && repeat >= 1)) throw new UsageError(`--repeat: ${value} is not a positive integer or auto`);
  return repeat;
}

async function sweep(target: string | undefined, values: CliValues, tokens: Tokens): Promise<number> {
  const engines = values.engines === undefined ? undefined : engineList(values.engines as string);
  const sets = (values.set as string[] | undefined) ?? [];
  const resume = values.resume as string | undefined;
  if (resume !== undefined && (target !== undefined || sets.length > 0)) throw new UsageError('sweep --resume DIR: no scenario or --set (the sweep keeps its own)');
  if (resume === undefined && target === undefined) throw new UsageError('sweep: missing scenario');
  const outcome = resume
    ? await resumeSweep(resume, engines, log)
    : await startSweep({
        scenarioFile: target!,
        axes: parseAxes(sets),
        engines: engines ?? engineList(undefined),
        runArgs: forwardedRunArgs(tokens),
        plan: {
          quick: values.quick === true,
          repeat: repeatOption(values.repeat as string | undefined),
          systems: listOption(values.systems as string | undefined, SYSTEM_NAMES, '--systems'),
          workloads: listOption(values.workloads as string | undefined, WORKLOAD_NAMES, '--workloads'),
        },
        outDir: (values.out as string | undefined) ?? SWEEPS_DIR,
        log,
      });
  console.log(`sweep: ${outcome.done}/${outcome.total} cells done (${formatDuration(outcome.wallMs)} this time)${outcome.failed.length ? `; failed: ${outcome.failed.join(', ')}` : ''}`);
  console.log(`report: ${outcome.report}`);
  if (outcome.done < outcome.total) console.log(`the rest: mplab sweep --resume ${outcome.dir}`);
  return outcome.done === outcome.total ? 0 : 1;
}

async function runCommand(file: string, values: CliValues, tokens: Tokens): Promise<number> {
  const scenario = await loadScenario(file);
  if (values.engine !== undefined) return runOnEngine(file, scenario, values, tokens);
  if (values['docker-host'] !== undefined) throw new UsageError('--docker-host: only with --engine docker');
  return run(scenario, values);
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values, tokens } = parseArgs({
    args: argv,
    allowPositionals: true,
    tokens: true,
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      backend: { type: 'string' },
      systems: { type: 'string' },
      workloads: { type: 'string' },
      repeat: { type: 'string' },
      precision: { type: 'string' },
      budget: { type: 'string' },
      out: { type: 'string' },
      baseline: { type: 'string' },
      markdown: { type: 'string' },
      history: { type: 'string' },
      strict: { type: 'boolean', default: false },
      engine: { type: 'string' },
      'docker-host': { type: 'string' },
      engines: { type: 'string' },
      set: { type: 'string', multiple: true },
      resume: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, target] = positionals;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!command) throw new UsageError('no command given');
  const needTarget = () => {
    if (!target) throw new UsageError(`${command}: missing argument`);
    return target;
  };
  switch (command) {
    case 'clean': {
      const engines = values.engines === undefined ? [] : engineList(values.engines);
      const removed = [...(await cleanLeftovers()), ...(await Promise.all(engines.map((url) => cleanEngine(connectEngine(url))))).flat()];
      console.log(removed.length ? `removed: ${removed.join(' ')}` : 'nothing to clean');
      return 0;
    }
    case 'doctor':
      await ensureInstalled(SYSTEM_NAMES);
      console.log('mplab: everything the lab and its systems need is installed');
      return 0;
    case 'links': {
      const scenario = await loadScenario(needTarget());
      await ensurePackages(LAB_REQUIREMENTS, log);
      return runLinksReport(scenario, { json: values.json, backend: backendOption(values.backend), log });
    }
    case 'run':
      return runCommand(needTarget(), values, tokens);
    case 'scenario':
      return runCommand(path.join(SCENARIOS_DIR, `${needTarget()}.yaml`), values, tokens);
    case 'sweep':
      return sweep(target, values, tokens);
    case 'report': {
      if (values.history !== undefined) {
        if (target) throw new UsageError('report: give a run directory or --history DIR, not both');
        if (!(await stat(values.history).catch(() => undefined))?.isDirectory()) throw new UsageError(`--history: ${values.history} is not a directory`);
        const index = await buildIndex(values.history, { csv: true });
        for (const s of index.skipped) log(`skipped ${s.dir}: ${s.reason}`);
        console.log(`index: ${index.file} (${index.runs} runs; gate verdicts: ${index.verdicts.computed} computed, ${index.verdicts.cached} cached)\nhistory: ${index.csvFile}`);
        return 0;
      }
      const file = await buildReport(needTarget());
      const index = await buildIndex(path.dirname(path.dirname(path.resolve(needTarget()))));
      console.log(`report: ${file}\nindex: ${index.file}`);
      return 0;
    }
    case 'gate': {
      const outcome = await runGate({ run: needTarget(), baseline: values.baseline, markdownFile: values.markdown, strict: values.strict });
      process.stdout.write(outcome.text);
      return outcome.exitCode;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof SweepInputError || error instanceof DockerHostError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`mplab: ${error.message}\n${USAGE}\n`);
      process.exit(2);
    }
    if (error instanceof ScenarioError) {
      process.stderr.write(`mplab: invalid scenario\n${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`mplab: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
