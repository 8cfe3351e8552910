// `mplab gate`: a run's verdict from its scenario's rules and, when given, a baseline.
// Exit codes: 0 ok, 1 regression (or, with `strict`, anything left undecided), 2 bad input (missing or invalid results, a rule that
// does not parse or names something the run did not run, a baseline of another scenario).
import { writeFile } from 'node:fs/promises';
import { loadRun, RunInputError } from '../report/html/load-run.ts';
import { compareWithBaseline } from './baseline.ts';
import { checkRule, RuleInputError } from './check-rules.ts';
import { parseRule, RuleError } from './rules.ts';
import { exitCode, renderMarkdown, renderText, type GateVerdict } from './verdict.ts';

export interface GateOptions {
  /** The run directory (or its results.json). */
  run: string;
  /** A baseline run directory, or a results-shaped file such as reports/baselines/<scenario>.json. */
  baseline?: string;
  /** Also write the verdict as Markdown here (for a CI job summary). */
  markdownFile?: string;
  /** Fail on inconclusive rules and on metrics with too few (or no) samples to judge. */
  strict?: boolean;
}

export interface GateOutcome {
  exitCode: 0 | 1 | 2;
  text: string;
  markdown: string;
}

async function verdictOf(options: GateOptions): Promise<GateVerdict> {
  const now = await loadRun(options.run);
  const rules = now.results.scenario.gate.rules.map(parseRule);
  const failedRuns = now.results.runs
    .filter((r) => r.status === 'failed')
    .map((r) => `${r.system} × ${r.workload}, repetition ${r.repetition}: ${r.error ?? 'failed'}`);
  const verdict: GateVerdict = { run: now.label, strict: options.strict ?? false, failedRuns, rules: rules.map((rule) => checkRule(now, rule)) };
  if (options.baseline !== undefined) {
    const baseline = await loadRun(options.baseline);
    if (baseline.scenarioName !== now.scenarioName) {
      throw new RunInputError(`the baseline ${options.baseline} is a run of scenario ${baseline.scenarioName}, the run is of ${now.scenarioName}`);
    }
    verdict.baseline = { label: baseline.label, comparison: compareWithBaseline(now, baseline) };
  }
  return verdict;
}

export async function runGate(options: GateOptions): Promise<GateOutcome> {
  let outcome: GateOutcome;
  try {
    const verdict = await verdictOf(options);
    outcome = { exitCode: exitCode(verdict), text: renderText(verdict), markdown: renderMarkdown(verdict) };
  } catch (error) {
    if (!(error instanceof RunInputError || error instanceof RuleError || error instanceof RuleInputError)) throw error;
    outcome = {
      exitCode: 2,
      text: `mplab gate: bad input: ${error.message}\n`,
      markdown: `## mplab gate: bad input\n\n\`\`\`\n${error.message}\n\`\`\`\n`,
    };
  }
  if (options.markdownFile) await writeFile(options.markdownFile, outcome.markdown);
  return outcome;
}
