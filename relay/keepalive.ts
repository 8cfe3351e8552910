// Keepalive tuning is best effort: a kernel that refuses it (MPTCP sockets before 2024
// refuse TCP_KEEPIDLE/INTVL/CNT) costs the tuning, never the connection. Counted, and
// said once per process, since every connection would say the same.
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import { fdOf, setKeepalive, type KeepaliveOptions } from './sockets.ts';

export type KeepaliveRefused = (error: unknown) => void;

export function keepaliveReporter(metrics: RelayMetrics, log: Logger): KeepaliveRefused {
  let said = false;
  return (error) => {
    metrics.errors.inc({ kind: 'keepalive' });
    if (said) return;
    said = true;
    log.warn('keepalive tuning refused by the kernel; connections go on with its defaults', { error });
  };
}

/** Keepalive on a connected Node socket, reporting a refusal instead of throwing. */
export function tuneKeepalive(socket: import('node:net').Socket, options: KeepaliveOptions, refused: KeepaliveRefused): void {
  try {
    setKeepalive(fdOf(socket), options);
  } catch (error) {
    refused(error);
  }
}
