// The pageload workload on real links. On clean links, direct-tcp's page loads sit
// between what physics allows (page.ts: at least every byte at link A's payload rate and
// 3 round trips, at most 17 round trips on top); on lossy-wisp, the SSH tunnel's page load
// during downloads is the worst of all systems: the seed's "2 to 3 seconds just to
// connect", every connection queued behind the downloads in one stream.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { baseRttMs } from '../../lab/links/model.ts';
import { runScenario } from '../../lab/run/run.ts';
import { directTcp } from '../../lab/systems/direct-tcp.ts';
import { pageLoadBoundsMs } from '../../lab/workloads/page.ts';
import { pageloadWorkload } from '../../lab/workloads/pageload.ts';
import { testScenario, useTopology } from '../helpers/topology.ts';
import { workloadBench } from './bench.ts';

test.serial('clean links: direct-tcp loads the page in at least 3 round trips of link A and at most the physics bound', async (t) => {
  const base = await testScenario('test-clean');
  const scenario = { ...base, workloads: { pageload: { pages: 3, bulkFlows: 2, timeout: 30_000 } } };
  const topology = await useTopology(t, scenario);
  const bench = await workloadBench(t, topology, scenario, directTcp);
  const results = await bench.measure(pageloadWorkload, 1);
  const pages = results.samples.filter((s) => s.metric === 'page_load_ms');
  t.is(pages.length, 3);
  const { minMs, maxMs } = pageLoadBoundsMs(scenario.links.a.down.rateBitsPerSec, baseRttMs(scenario.links.a));
  t.true(minMs >= 3 * baseRttMs(scenario.links.a));
  for (const page of pages) {
    t.false(page.censored ?? false);
    t.true(page.value >= minMs && page.value <= maxMs, `page ${page.value.toFixed(0)} ms, physics ${minMs.toFixed(0)}-${maxMs.toFixed(0)} ms`);
  }
  t.is(results.summary['direct-tcp']?.pageload?.success_ratio?.mean, 1);
  // While two downloads share link A the page takes longer, but it loads.
  const loaded = results.summary['direct-tcp']!.pageload!.page_load_loaded_ms!;
  t.true(loaded.p50 > results.summary['direct-tcp']!.pageload!.page_load_ms!.p50);
  t.log(`direct-tcp page load ${pages.map((p) => p.value.toFixed(0)).join(', ')} ms (bound ${minMs.toFixed(0)}-${maxMs.toFixed(0)}), loaded p50 ${loaded.p50.toFixed(0)} ms`);
});

test.serial("lossy-wisp: the SSH tunnel's page load during downloads is the worst of all systems", async (t) => {
  const base = await testScenario('lossy-wisp');
  const scenario = { ...base, workloads: { pageload: { pages: 3, bulkFlows: 2, timeout: 30_000 } }, repeat: 1, warmup: 0 };
  const outDir = await mkdtemp(path.join(tmpdir(), 'mplab-pageload-'));
  t.teardown(() => rm(outDir, { recursive: true, force: true }));
  const { results } = await runScenario(scenario, { outDir, onProgress: () => undefined });
  const loaded = Object.fromEntries(scenario.systems.map((s) => [s, results.summary[s]?.pageload?.page_load_loaded_ms?.p50 ?? Number.NaN]));
  t.log(Object.entries(loaded).map(([s, ms]) => `${s} ${ms.toFixed(0)} ms`).join(', '));
  const worst = Object.entries(loaded).sort((a, b) => b[1] - a[1])[0]![0];
  t.is(worst, 'ssh-tunnel');
});
