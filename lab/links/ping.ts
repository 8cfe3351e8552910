// Round-trip times with ping across one link: the kernel timestamps the replies, so
// the figure carries none of a userspace probe's scheduling delay (about 0.4 ms here).
import { nsRun } from '../topology/netns.ts';

export interface PingOptions {
  ns: string;
  localAddr: string;
  remoteAddr: string;
  count: number;
  intervalMs: number;
  /** ICMP payload; 32 bytes make a 60-byte IP packet, the size of the UDP probes. */
  payloadBytes: number;
}

/** One RTT per reply, in ms (ping prints 0.1 ms resolution at these delays). */
export async function pingRttsMs(opts: PingOptions): Promise<number[]> {
  const result = await nsRun(
    opts.ns,
    'ping',
    ['-n', '-c', String(opts.count), '-i', String(opts.intervalMs / 1000), '-s', String(opts.payloadBytes), '-I', opts.localAddr, opts.remoteAddr],
    { reject: false, timeout: 30_000 + opts.count * opts.intervalMs },
  );
  const rtts = [...String(result.stdout).matchAll(/time=([\d.]+) ms/g)].map((match) => Number(match[1]));
  if (rtts.length === 0) throw new Error(`ping ${opts.remoteAddr} from ${opts.ns}: no reply (${String(result.stderr).trim() || `exit ${result.exitCode}`})`);
  return rtts;
}
