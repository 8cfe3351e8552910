// The bulk downloads that load the links while latency is measured (hol, pageload).
import type { FlowReport } from './probe/flows.ts';

/** Samples in the first moments of the load, before the bulk flows have filled the queues, count as neither idle nor loaded. */
export const LOAD_SETTLE_MS = 500;

/** One error line per bulk flow that broke. */
export function loadErrors(flows: readonly FlowReport[]): string[] {
  return flows.flatMap((flow) => (flow.error ? [`bulk flow ${flow.stream}: ${flow.error}`] : []));
}

/** Without any load, 'loaded' figures would be idle ones under another name: such a run failed. */
export function requireLoad(flows: readonly FlowReport[], errors: readonly string[]): void {
  if (flows.every((f) => f.error !== null)) throw new Error(`no bulk download kept the links loaded: ${errors.join('; ')}`);
}
