// mplab: commands only. Parse, call, print.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { ensurePackages, LAB_REQUIREMENTS } from './engines/packages.ts';
import { loadScenario, ScenarioError } from './scenario/load.ts';
import { cleanLeftovers } from './topology/clean.ts';
import { runLinksReport } from './topology/links-report.ts';

const USAGE = `usage:
  mplab links <scenario.yaml> [--json] [--backend auto|userspace|netem]
                                  build the topology, measure each link against its model, tear down
  mplab scenario <name>           run scenarios/<name>.yaml (what \`npm run scenario <name>\` calls)
  mplab clean                     remove namespaces and processes left by killed runs
  mplab doctor                    check and install what the lab needs`;

const SCENARIOS_DIR = path.resolve(import.meta.dirname, '../scenarios');

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, target] = positionals;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  switch (command) {
    case 'clean': {
      const removed = await cleanLeftovers();
      console.log(removed.length ? `removed: ${removed.join(' ')}` : 'nothing to clean');
      return 0;
    }
    case 'doctor':
      await ensurePackages(LAB_REQUIREMENTS, log);
      console.log('mplab: everything the lab needs is installed');
      return 0;
    case 'links':
    case 'scenario': {
      if (!target) {
        log(USAGE);
        return 2;
      }
      const file = command === 'scenario' ? path.join(SCENARIOS_DIR, `${target}.yaml`) : target;
      const scenario = await loadScenario(file);
      await ensurePackages(LAB_REQUIREMENTS, log);
      const backend = values.backend as 'auto' | 'userspace' | 'netem' | undefined;
      return runLinksReport(scenario, { json: values.json, backend, log });
    }
    default:
      log(`mplab: unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ScenarioError) {
      process.stderr.write(`mplab: invalid scenario\n${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`mplab: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
