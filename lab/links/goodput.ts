// Single-flow TCP goodput across one link with iperf3, both ends bound to the link's
// own addresses. The first second (slow start / BBR startup) is omitted from the figure.
import { createInterface } from 'node:readline';
import { nsRun, nsSpawn } from '../topology/netns.ts';
import type { Direction } from './model.ts';
import type { ProbeEndpoints } from './probes.ts';

const IPERF_PORT = 47_002;
const SERVER_START_TIMEOUT_MS = 5_000;

export interface GoodputResult {
  direction: Direction;
  /** Payload bits per second at the receiver. */
  goodputBitsPerSec: number;
  retransmits: number;
  /** Wall time the test took, start of server to end of client. */
  wallSeconds: number;
}

interface IperfJson {
  end?: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits?: number } };
  error?: string;
}

export interface GoodputOptions extends ProbeEndpoints {
  direction: Direction;
  seconds: number;
  omitSeconds?: number;
  /** Both directions at once (iperf3 --bidir): for load, not for the goodput figure. */
  bidirectional?: boolean;
  /** Called once the server listens, right before the client starts (e.g. to sample CPU). */
  beforeClient?: () => Promise<void>;
}

async function waitForListening(server: ReturnType<typeof nsSpawn>): Promise<void> {
  let stderr = '';
  server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: server.stdout! });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`iperf3 server not listening within ${SERVER_START_TIMEOUT_MS} ms`)), SERVER_START_TIMEOUT_MS);
      lines.on('line', (line) => {
        if (line.includes('Server listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void server.then(() => {
        clearTimeout(timer);
        reject(new Error(`iperf3 server exited: ${stderr.trim()}`));
      });
    });
  } finally {
    lines.close();
  }
}

/** `up` sends from the local end to the remote end; `down` the reverse (iperf3 -R). */
export async function measureGoodput(opts: GoodputOptions): Promise<GoodputResult> {
  const started = process.hrtime.bigint();
  const server = nsSpawn(opts.nsRemote, 'iperf3', ['-s', '-1', '-B', opts.remoteAddr, '-p', String(IPERF_PORT), '--forceflush'], {
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
  });
  try {
    await waitForListening(server);
    await opts.beforeClient?.();
    const omit = opts.omitSeconds ?? 1;
    const client = await nsRun(
      opts.nsLocal,
      'iperf3',
      [
        '-c', opts.remoteAddr,
        '-B', opts.localAddr,
        '-p', String(IPERF_PORT),
        '-t', String(opts.seconds),
        '-O', String(omit),
        '-J',
        ...(opts.bidirectional ? ['--bidir'] : opts.direction === 'down' ? ['-R'] : []),
      ],
      { timeout: (opts.seconds + omit + 15) * 1000, reject: false },
    );
    const report = JSON.parse(String(client.stdout)) as IperfJson;
    if (client.exitCode !== 0 || report.error || !report.end?.sum_received) {
      throw new Error(`iperf3 ${opts.direction} failed: ${report.error ?? String(client.stderr)}`);
    }
    return {
      direction: opts.direction,
      goodputBitsPerSec: report.end.sum_received.bits_per_second,
      retransmits: report.end.sum_sent?.retransmits ?? 0,
      wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } finally {
    // -1 makes it exit after one test; a failed test leaves it running.
    if (server.pid !== undefined && server.exitCode === null) server.kill('SIGTERM');
    await server;
  }
}
