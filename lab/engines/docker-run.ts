// A scenario run in a container: `mplab run` inside, on the scenario text handed in,
// and its run directory (results, CSVs, report, logs: whatever the run wrote, copied as
// it is) moved back into a directory of the host's choosing, with the container's own
// output beside the lab's logs. The run directory is moved into place whole, so its
// results.json is there only if the run finished.
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gitState } from '../run/environment.ts';
import { runLabContainer, type ContainerOutcome } from './container-run.ts';
import { connectEngine, type Engine } from './docker-host.ts';
import { IMAGE_INPUT_DIR, IMAGE_OUTPUT_DIR } from './dockerfile.ts';
import { afterInterrupt, wasInterrupted } from './interrupt.ts';
import { ensureLabImage, type LabImage } from './lab-image.ts';

export const CONTAINER_LOG = 'logs/container.log';
const OUTPUT_TAIL_LINES = 20;
const SCENARIO_INPUT = 'scenario.yaml';

export interface ContainerRunRequest {
  engine: Engine;
  image: LabImage;
  /** The scenario file's text (already validated), and its name (where the run directory is made). */
  scenarioText: string;
  scenarioName: string;
  /** `mplab run` options besides the scenario and --out (--quick, --systems, ...). */
  runArgs: string[];
  /** Where the run directory goes, given the name the run gave it (its start time). */
  destination: (runName: string) => string;
  labels?: Record<string, string>;
  onLine?: (line: string, from: 'stdout' | 'stderr') => void;
}

export interface ContainerRunResult {
  outcome: ContainerOutcome;
  /** The run directory on the host, or null when the run did not finish (see error). */
  runDir: string | null;
  error: string | null;
  /** Everything the container wrote, in order. */
  output: string[];
}

async function stagedRunDir(staging: string, scenarioName: string): Promise<string | null> {
  const runs = await readdir(path.join(staging, scenarioName), { withFileTypes: true }).catch(() => []);
  const dirs = runs.filter((e) => e.isDirectory());
  return dirs.length === 1 ? path.join(staging, scenarioName, dirs[0]!.name) : null;
}

export async function runScenarioInContainer(request: ContainerRunRequest, stagingParent: string): Promise<ContainerRunResult> {
  await mkdir(stagingParent, { recursive: true });
  const staging = await mkdtemp(path.join(stagingParent, '.incoming-'));
  const output: string[] = [];
  try {
    const outcome = await runLabContainer({
      engine: request.engine,
      image: request.image,
      args: ['run', path.posix.join(IMAGE_INPUT_DIR, SCENARIO_INPUT), '--out', IMAGE_OUTPUT_DIR, ...request.runArgs],
      inputs: { [SCENARIO_INPUT]: request.scenarioText },
      outputDir: staging,
      git: await gitState(),
      labels: request.labels,
      onLine: (line, from) => {
        output.push(line);
        request.onLine?.(line, from);
      },
    });
    const staged = await stagedRunDir(staging, request.scenarioName);
    if (outcome.exitCode !== 0 || !staged || !(await readdir(staged)).includes('results.json')) {
      const tail = output.slice(-OUTPUT_TAIL_LINES).join('\n');
      return { outcome, runDir: null, output, error: `the run in the container exited with ${outcome.exitCode}${staged ? '' : ' and left no run directory'}:\n${tail}` };
    }
    await writeFile(path.join(staged, CONTAINER_LOG), `${output.join('\n')}\n`);
    const runDir = request.destination(path.basename(staged));
    await mkdir(path.dirname(runDir), { recursive: true });
    await rename(staged, runDir);
    return { outcome, runDir, output, error: null };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export interface DockerRunOptions {
  dockerHost: string;
  scenarioText: string;
  scenarioName: string;
  runArgs: string[];
  /** The reports root: the run lands in <outDir>/<scenario>/<run>, as a local run does. */
  outDir: string;
  log: (line: string) => void;
}

/** `mplab run --engine docker`: the image made sure of, the run in a container, its directory back under outDir. */
export async function runInDocker(options: DockerRunOptions): Promise<{ runDir: string; image: LabImage; outcome: ContainerOutcome }> {
  const engine = connectEngine(options.dockerHost);
  const image = await ensureLabImage(engine, options.log);
  options.log(`mplab: running ${options.scenarioName} in a container on ${engine.url} (${image.ref})`);
  const result = await runScenarioInContainer(
    {
      engine,
      image,
      scenarioText: options.scenarioText,
      scenarioName: options.scenarioName,
      runArgs: options.runArgs,
      destination: (runName) => path.join(options.outDir, options.scenarioName, runName),
      // The run's progress lines (stderr) as they come; its headline (stdout) names container paths.
      onLine: (line, from) => {
        if (from === 'stderr') options.log(line);
      },
    },
    options.outDir,
  ).catch(async (error: unknown) => (wasInterrupted() ? afterInterrupt() : Promise.reject(error)));
  if (wasInterrupted()) await afterInterrupt();
  if (!result.runDir) throw new Error(result.error ?? 'the run in the container failed');
  return { runDir: result.runDir, image, outcome: result.outcome };
}
