// `mplab links`: build the scenario's topology, measure each link against its model,
// print configured vs measured, tear down (always).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatLinkTable, measureLink, type LinkMeasurement } from '../links/measure.ts';
import type { LinkBackendName } from '../links/model.ts';
import type { Scenario } from '../scenario/schema.ts';
import { buildTopology, newRunId } from './build.ts';
import { ADDR } from './types.ts';

const LINK_ADDRESSES = {
  a: { localAddr: ADDR.gwLocalLinkA, remoteAddr: ADDR.gwRemoteLinkA },
  b: { localAddr: ADDR.gwLocalLinkB, remoteAddr: ADDR.gwRemoteLinkB },
} as const;

export interface LinksReportOptions {
  json: boolean;
  backend?: 'auto' | LinkBackendName;
  log: (line: string) => void;
}

export async function runLinksReport(scenario: Scenario, options: LinksReportOptions): Promise<number> {
  const runDir = await mkdtemp(path.join(tmpdir(), `mplab-links-${scenario.name}-`));
  const runId = newRunId();
  options.log(`mplab: building ${scenario.name} as run ${runId} (logs in ${runDir})`);
  const topology = await buildTopology(scenario, { runDir, runId, backend: options.backend });
  try {
    const measurements: LinkMeasurement[] = [];
    for (const name of ['a', 'b'] as const) {
      options.log(`mplab: measuring link ${name} (${topology.links[name].backend} backend)`);
      measurements.push(
        await measureLink({ control: topology.links[name], nsLocal: topology.ns.gwLocal, nsRemote: topology.ns.gwRemote, ...LINK_ADDRESSES[name] }),
      );
    }
    console.log(options.json ? JSON.stringify(measurements, null, 2) : formatLinkTable(measurements));
    return 0;
  } finally {
    await topology.destroy();
  }
}
