// The probe programs on loopback: the real server probe process, the client flows
// in-process, every byte checked; and a relay that corrupts one byte is caught.
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { execa } from 'execa';
import { download, echoLoop, fetchOnce, upload } from '../../lab/workloads/probe/flows.ts';
import { monotonicMs } from '../../lab/workloads/probe/clock.ts';

const SERVER = fileURLToPath(new URL('../../lab/workloads/probe/server.ts', import.meta.url));

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startServer(t: import('ava').ExecutionContext) {
  const port = await freePort();
  const child = execa(process.execPath, ['--import', 'tsx', SERVER, '127.0.0.1', String(port)], { reject: false });
  t.teardown(async () => {
    child.kill('SIGTERM');
    await child;
  });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true))).on('error', () => resolve(false));
    });
    if (ok) return { host: '127.0.0.1', port };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('server probe did not listen');
}

test.serial('fetch: verified response, server accept time between connect start and first byte', async (t) => {
  const target = await startServer(t);
  const record = await fetchOnce(target, 5, 100_000, 5_000);
  t.is(record.error, null);
  t.true(record.verified);
  t.is(record.bytes, 100_000);
  t.true(record.startMs <= record.acceptMs! && record.acceptMs! <= record.firstByteMs!, JSON.stringify(record));
  t.true(record.connectMs! <= record.firstByteMs!);
});

test.serial('download and upload for a fixed time: bytes verified at the receiver, binned on the shared clock', async (t) => {
  const target = await startServer(t);
  const refMs = monotonicMs();
  const [down, up] = await Promise.all([download(target, 1, refMs, refMs + 600, 100), upload(target, 2, refMs, refMs + 600, 100)]);
  for (const flow of [down, up]) {
    t.is(flow.error, null);
    t.true(flow.verified);
    t.true(flow.bytes > 100_000);
    t.is(flow.bins.reduce((a, b) => a + b, 0), flow.bytes);
    t.true(flow.bins.length <= 7, 'nothing counted after the end of the window');
  }
});

test.serial('echo: one round trip per interval, verified', async (t) => {
  const target = await startServer(t);
  const intervalMs = 100;
  const { samples, error } = await echoLoop(target, 0, monotonicMs() + 450, intervalMs, 64);
  t.is(error, null);
  // At most one per interval; on a busy machine a late round trip may cost one.
  t.true(samples.length >= 3 && samples.length <= 5, String(samples.length));
  // Node's timers run on the event loop's cached millisecond clock, which a busy machine
  // leaves stale: a send can come a little early by the monotonic clock. Slack, not exactness.
  for (let i = 1; i < samples.length; i++) t.true(samples[i]!.sentMs - samples[i - 1]!.sentMs >= 0.9 * intervalMs, JSON.stringify(samples));
});

test.serial('a relay that corrupts one byte is caught', async (t) => {
  const target = await startServer(t);
  // Forwards both ways, flipping the 50,000th byte towards the client.
  const relay = net.createServer((inbound) => {
    const outbound = net.connect(target.port, target.host);
    let seen = 0;
    inbound.pipe(outbound);
    outbound.on('data', (chunk: Buffer) => {
      if (seen <= 50_000 && seen + chunk.length > 50_000) chunk[50_000 - seen]! ^= 0x80;
      seen += chunk.length;
      inbound.write(chunk);
    });
    outbound.on('end', () => inbound.end());
    for (const s of [inbound, outbound]) s.on('error', () => (inbound.destroy(), outbound.destroy()));
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  t.teardown(() => relay.close());
  const via = { host: '127.0.0.1', port: (relay.address() as net.AddressInfo).port };
  const fetched = await fetchOnce(via, 0, 200_000, 5_000);
  t.false(fetched.verified);
  t.regex(fetched.error ?? '', /did not verify/);
  const refMs = monotonicMs();
  const flow = await download(via, 0, refMs, refMs + 500, 100);
  t.false(flow.verified);
  t.regex(flow.error ?? '', /did not verify/);
});
