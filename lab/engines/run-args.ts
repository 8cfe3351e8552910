// The `mplab run` options a container's run gets: every option given on the host (so
// options added to `run` later pass through unchanged) except those that say where the
// run executes or where its output goes, which are the host's business.
import { parseArgs } from 'node:util';

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

export const HOST_ONLY_OPTIONS = ['engine', 'docker-host', 'engines', 'out', 'set', 'resume'];

export function forwardedRunArgs(tokens: readonly Token[], hostOnly: readonly string[] = HOST_ONLY_OPTIONS): string[] {
  return tokens.flatMap((token) => {
    if (token.kind !== 'option' || hostOnly.includes(token.name)) return [];
    return token.value === undefined ? [`--${token.name}`] : [`--${token.name}`, token.value];
  });
}
