// What defines the conditions a run measured under: the scenario as parsed, the link
// backend, the kernel and the lab/relay commit (with whether the tree was dirty). Runs
// whose conditions hash differs are not drawn as one line: a new series starts.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Results } from '../results.ts';

export const conditionsSchema = z.strictObject({
  /** sha256 of the scenario as parsed (keys sorted), so any change of the file's meaning counts. */
  scenarioSha256: z.string(),
  linkBackend: z.string(),
  kernel: z.string(),
  revision: z.string(),
  dirty: z.boolean(),
});

export type Conditions = z.infer<typeof conditionsSchema>;

const CONDITION_NAMES: Record<keyof Conditions, string> = {
  scenarioSha256: 'scenario',
  linkBackend: 'link backend',
  kernel: 'kernel',
  revision: 'commit',
  dirty: 'uncommitted changes',
};

/** JSON with object keys sorted at every level: the same value always gives the same text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export function conditionsOf(results: Results): Conditions {
  const { environment } = results;
  return {
    scenarioSha256: sha256(canonicalJson(results.scenario)),
    linkBackend: environment.linkBackend,
    kernel: environment.kernel,
    revision: environment.git.revision,
    dirty: environment.git.dirty,
  };
}

export function conditionsHash(conditions: Conditions): string {
  return sha256(canonicalJson(conditions));
}

/** What differs between two runs' conditions, in words ("commit", "kernel"). */
export function conditionChanges(before: Conditions, after: Conditions): string[] {
  return (Object.keys(CONDITION_NAMES) as (keyof Conditions)[]).filter((k) => before[k] !== after[k]).map((k) => CONDITION_NAMES[k]);
}
