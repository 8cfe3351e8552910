// pageload: the seed's complaint ("2 to 3 seconds just to connect" while someone
// downloads) as a number. The synthetic page of page.ts, loaded as a browser does,
// first with nothing else running, then while bulk downloads saturate the links.
import type { Scenario } from '../scenario/schema.ts';
import { latencySample, since, successSample } from './attempts.ts';
import { LOAD_SETTLE_MS, loadErrors, requireLoad } from './load.ts';
import { metric } from './metrics.ts';
import { SYNTHETIC_PAGE } from './page.ts';
import type { PageLoadRecord } from './probe/page.ts';
import { PROBE_TARGET } from './probes.ts';
import { measuredProbe, PLAN_OVERHEAD_MS, type MetricSample, type Workload } from './workload.ts';

const BIN_MS = 100;

function params(scenario: Scenario) {
  const pageload = scenario.workloads.pageload;
  if (!pageload) throw new Error('workloads.pageload is not set in the scenario');
  return pageload;
}

/** A page that failed or timed out is entered at the timeout, censored. */
function pageSamples(pages: readonly PageLoadRecord[], loaded: boolean, refMs: number, timeoutMs: number): MetricSample[] {
  return pages.flatMap((page) => {
    const atMs = since(refMs, page.startMs);
    const loadMs = page.error === null && page.endMs !== null ? page.endMs - page.startMs : null;
    return [latencySample(metric(loaded ? 'page_load_loaded_ms' : 'page_load_ms'), loadMs, timeoutMs, atMs), successSample(metric('success_ratio'), loadMs !== null, atMs)];
  });
}

export const pageloadWorkload: Workload = {
  name: 'pageload',
  validate: (scenario) => void params(scenario),
  // A page takes a second or two on these links idle, a few under load.
  plannedMs: (scenario) => PLAN_OVERHEAD_MS + LOAD_SETTLE_MS + params(scenario).pages * 4_000,
  async run(context) {
    const pageload = params(context.scenario);
    const plan = {
      mode: 'pageload' as const,
      target: PROBE_TARGET,
      page: SYNTHETIC_PAGE,
      pages: pageload.pages,
      bulkFlows: pageload.bulkFlows,
      settleMs: LOAD_SETTLE_MS,
      timeoutMs: pageload.timeout,
      binMs: BIN_MS,
    };
    const { result, probeCpu } = await measuredProbe(context, plan, 2 * pageload.pages * pageload.timeout + LOAD_SETTLE_MS + 20_000);
    const samples = [...pageSamples(result.idle, false, result.refMs, pageload.timeout), ...pageSamples(result.loaded, true, result.refMs, pageload.timeout)];
    const errors = [...result.idle, ...result.loaded].flatMap((page) =>
      page.error === null ? [] : [`page at +${Math.round(page.startMs - result.refMs)} ms: ${page.error} (${page.objectsLoaded} of ${SYNTHETIC_PAGE.objectBytes.length} objects)`],
    );
    errors.push(...loadErrors(result.flows));
    requireLoad(result.flows, errors);
    return { samples, timelines: [], errors, labErrors: [], probeCpu };
  },
};
