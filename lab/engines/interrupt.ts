// Ctrl-C (SIGINT) or SIGTERM while the lab has containers on an engine: remove them (and
// record what was cut short) before the process exits, with the signal's exit code.
const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

const cleanups = new Set<() => Promise<void>>();
let installed = false;
let interrupted = false;
let exiting: Promise<never> | undefined;

function onSignal(signal: 'SIGINT' | 'SIGTERM'): void {
  if (interrupted) return;
  interrupted = true;
  process.stderr.write(`\nmplab: ${signal}: removing what this run made on its engines\n`);
  exiting = Promise.allSettled([...cleanups].map((cleanup) => cleanup())).then(() => process.exit(SIGNAL_EXIT[signal]));
}

/** Runs `cleanup` if the process is interrupted before the returned function is called. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  if (!installed) {
    installed = true;
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Whether a signal has arrived: work not yet started should not start. */
export function wasInterrupted(): boolean {
  return interrupted;
}

/**
 * For a command whose work ended because of the signal: waits for the cleanups, which
 * then exit the process with the signal's code (so the command's own exit code, or an
 * error the interruption caused, never wins the race).
 */
export async function afterInterrupt(): Promise<never> {
  return exiting ?? new Promise<never>(() => undefined);
}
