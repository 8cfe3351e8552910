// mplab: commands only. Parse, call, print.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensurePackages, LAB_REQUIREMENTS } from './engines/packages.ts';
import { runGate } from './gate/gate.ts';
import { buildIndex, buildReport } from './report/html/build.ts';
import { printHeadline } from './run/headline.ts';
import { REPORTS_DIR, runScenario } from './run/run.ts';
import { loadScenario, ScenarioError } from './scenario/load.ts';
import { SYSTEM_NAMES, WORKLOAD_NAMES, type Scenario, type SystemNameInScenario, type WorkloadName } from './scenario/schema.ts';
import { parseDurationMs, parsePercent, type Parsed } from './scenario/units.ts';
import { systemsByName } from './systems/index.ts';
import { cleanLeftovers } from './topology/clean.ts';
import { runLinksReport } from './topology/links-report.ts';

const USAGE = `usage:
  mplab run <scenario.yaml> [--systems a,b] [--workloads w,x] [--repeat N|auto] [--precision 10%] [--budget 20m]
            [--quick] [--out DIR] [--backend B]
                                  run every system on the scenario's links; writes results, CSV and the HTML report
                                  (--precision or --budget alone imply --repeat auto; --quick: one short repetition)
  mplab scenario <name> [options] the same for scenarios/<name>.yaml (\`npm run scenario <name>\`)
  mplab links <scenario.yaml> [--json] [--backend auto|userspace|netem]
                                  build the topology, measure each link against its model, tear down
  mplab report <rundir>           rebuild a run's index.html (and reports/index.html) from its results.json
  mplab report --history DIR      rebuild DIR/index.html (every run's history, with the gate's verdicts) and write DIR/history.csv
  mplab gate <rundir> [--baseline <rundir|file>] [--markdown FILE] [--strict]
                                  exit 0 ok, 1 regression (--strict: or undecided), 2 bad input
  mplab clean                     remove namespaces and processes left by killed runs
  mplab doctor                    check and install what the lab needs`;

const SCENARIOS_DIR = path.resolve(import.meta.dirname, '../scenarios');
const log = (line: string) => process.stderr.write(`${line}\n`);

class UsageError extends Error {}

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

async function run(scenario: Scenario, values: Record<string, string | boolean | undefined>): Promise<number> {
  const systems = listOption(values.systems as string | undefined, SYSTEM_NAMES, '--systems');
  const workloads = listOption(values.workloads as string | undefined, WORKLOAD_NAMES, '--workloads') as WorkloadName[] | undefined;
  const precision = unitOption(values.precision as string | undefined, parsePercent, '--precision');
  const budgetMs = unitOption(values.budget as string | undefined, parseDurationMs, '--budget');
  let repeat: number | 'auto' | undefined = values.repeat === 'auto' ? 'auto' : values.repeat === undefined ? undefined : Number(values.repeat);
  if (typeof repeat === 'number' && !(Number.isInteger(repeat) && repeat >= 1)) throw new UsageError(`--repeat: ${String(values.repeat)} is not a positive integer or auto`);
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

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
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
      const removed = await cleanLeftovers();
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
      return run(await loadScenario(needTarget()), values);
    case 'scenario':
      return run(await loadScenario(path.join(SCENARIOS_DIR, `${needTarget()}.yaml`)), values);
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
    if (error instanceof UsageError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
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
