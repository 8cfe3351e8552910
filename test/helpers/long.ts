// Long tests (soaks of several minutes) run only where MPLAB_LONG_TESTS=1: .ci/run sets
// it, so CI runs them; a plain `npm test` on a dev machine skips them, and says so.
import test, { type ExecutionContext } from 'ava';

export const LONG_TESTS = process.env.MPLAB_LONG_TESTS === '1';

type LongTest = (title: string, implementation: (t: ExecutionContext) => Promise<void>) => void;

/** `test.serial` with MPLAB_LONG_TESTS=1, else `test.skip` (after saying why and how to run it, once per file). */
export function longTest(what: string): LongTest {
  if (LONG_TESTS) return (title, implementation) => test.serial(title, implementation);
  process.stderr.write(`long test skipped (${what}): set MPLAB_LONG_TESTS=1 to run it, as .ci/run does\n`);
  return (title, implementation) => test.skip(`${title} (long: skipped without MPLAB_LONG_TESTS=1)`, implementation);
}
