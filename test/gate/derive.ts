// Variants of recorded results for the gate tests: the recorded samples with some of
// them changed (to emulate a regression, or noise), the summaries made again from the
// samples by the runner's own function, as a real run would have them.
import { summarizeSamples, type Results, type ResultSample } from '../../lab/report/results.ts';
import { seededRandom } from '../../lab/stats/random.ts';

export function mapSamples(results: Results, select: (s: ResultSample) => boolean, value: (v: number, s: ResultSample) => number): Results {
  const samples = results.samples.map((s) => (select(s) ? { ...s, value: value(s.value, s) } : s));
  return { ...results, samples, summary: summarizeSamples(samples) };
}

export function dropSamples(results: Results, select: (s: ResultSample) => boolean): Results {
  const samples = results.samples.filter((s) => !select(s));
  return { ...results, samples, summary: summarizeSamples(samples) };
}

/** The selected samples times a seeded factor uniform in [1 - spread, 1 + spread]: noise with no shift. */
export function jitter(results: Results, spread: number, select: (s: ResultSample) => boolean, seed = 7): Results {
  const random = seededRandom(seed);
  return mapSamples(results, select, (v) => v * (1 - spread + 2 * spread * random()));
}

export function withRules(results: Results, rules: string[]): Results {
  return { ...results, scenario: { ...results.scenario, gate: { rules } } };
}

/**
 * The results of some repetitions only, renumbered 1..k in the order given, as a run of
 * k repetitions would have them. `summarize: false` leaves the summaries out (the gate
 * decides from samples; summarising is most of the time when deriving hundreds).
 */
export function keepRepetitions(results: Results, repetitions: readonly number[], { summarize = true } = {}): Results {
  const renumber = new Map(repetitions.map((r, i) => [r, i + 1]));
  const pick = <T extends { repetition: number }>(list: readonly T[]) => list.flatMap((x) => (renumber.has(x.repetition) ? [{ ...x, repetition: renumber.get(x.repetition)! }] : []));
  const samples = pick(results.samples);
  return {
    ...results,
    run: { ...results.run, repeat: repetitions.length, order: repetitions.map((r) => results.run.order[r - 1]!) },
    runs: pick(results.runs),
    samples,
    timelines: pick(results.timelines),
    blocks: pick(results.blocks),
    summary: summarize ? summarizeSamples(samples) : {},
  };
}
