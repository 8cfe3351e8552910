// The one clock every probe and the orchestrator read. process.hrtime is
// CLOCK_MONOTONIC on Linux, and network namespaces share it (no time namespace is
// made), so readings from the client, the server and the orchestrator compare
// directly: a one-way time is one subtraction (checked in test/workloads/clock.test.ts).

/** Milliseconds on CLOCK_MONOTONIC, with sub-microsecond resolution. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Resolves at `atMs` on the monotonic clock (at once if it has passed). */
export function sleepUntil(atMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, atMs - monotonicMs())));
}
