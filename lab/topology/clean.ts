// `mplab clean`: removes what killed runs left behind, never what a live run owns.
import { deleteNamespace, listNamespaces } from './namespace.ts';
import { liveRunIds, NS_PREFIX, runIdOf } from './registry.ts';

export async function cleanLeftovers(): Promise<string[]> {
  const live = await liveRunIds();
  const stale = (await listNamespaces()).filter((ns) => {
    if (!ns.startsWith(NS_PREFIX)) return false;
    const runId = runIdOf(ns);
    return runId === undefined || !live.has(runId);
  });
  for (const ns of stale) await deleteNamespace(ns);
  return stale;
}
