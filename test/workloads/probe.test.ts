// The probe programs on loopback: the real server probe process, the client flows
// in-process, every byte checked; and a relay that corrupts one byte is caught.
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { execa } from 'execa';
import { SYNTHETIC_PAGE } from '../../lab/workloads/page.ts';
import { echoSchedule } from '../../lab/workloads/probe/echo.ts';
import { download, fetchOnce, upload } from '../../lab/workloads/probe/flows.ts';
import { loadPage } from '../../lab/workloads/probe/page.ts';
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
  t.true(record.firstByteMs! <= record.lastByteMs! && record.lastByteMs! <= record.endMs!, 'the last byte comes after the first and before the close');
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

test.serial('echo: open loop, one frame per interval on a fixed schedule, each answer matched and verified', async (t) => {
  const target = await startServer(t);
  const startMs = monotonicMs();
  const { echoes, error } = await echoSchedule(target, 0, { startMs, untilMs: startMs + 450, intervalMs: 100, sizeBytes: 64, timeoutMs: 1000 });
  t.is(error, null);
  t.deepEqual(
    echoes.map((e) => e.seq),
    [0, 1, 2, 3, 4],
  );
  for (const echo of echoes) {
    t.true(Math.abs(echo.sentMs - (startMs + 100 * echo.seq)) < 30, `frame ${echo.seq} left at +${(echo.sentMs - startMs).toFixed(1)} ms`);
    t.true(echo.rttMs !== null && echo.rttMs < 100, String(echo.rttMs));
  }
});

/** A relay in front of `target` that holds everything towards the client until `release()` (a deep queue on the path). */
async function holdingRelay(t: import('ava').ExecutionContext, target: { host: string; port: number }) {
  let held: { socket: net.Socket; chunks: Buffer[] }[] = [];
  let holding = true;
  const relay = net.createServer((inbound) => {
    const outbound = net.connect(target.port, target.host);
    const entry = { socket: inbound, chunks: [] as Buffer[] };
    held.push(entry);
    inbound.pipe(outbound);
    outbound.on('data', (chunk: Buffer) => (holding ? entry.chunks.push(chunk) : inbound.write(chunk)));
    for (const s of [inbound, outbound]) s.on('error', () => (inbound.destroy(), outbound.destroy()));
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  t.teardown(() => relay.close());
  return {
    via: { host: '127.0.0.1', port: (relay.address() as net.AddressInfo).port },
    release() {
      holding = false;
      for (const entry of held) for (const chunk of entry.chunks) entry.socket.write(chunk);
      held = [];
    },
  };
}

test.serial('echo: frames keep leaving while answers are held; answers after the timeout are lost, matched by number', async (t) => {
  const target = await startServer(t);
  const relay = await holdingRelay(t, target);
  const startMs = monotonicMs();
  const released = new Promise((resolve) => setTimeout(resolve, 350)).then(() => relay.release());
  const { echoes } = await echoSchedule(relay.via, 0, { startMs, untilMs: startMs + 600, intervalMs: 100, sizeBytes: 64, timeoutMs: 2000 });
  await released;
  // Six frames on schedule although none came back for 350 ms; the held ones return together.
  t.is(echoes.length, 6);
  for (const echo of echoes) t.true(Math.abs(echo.sentMs - (startMs + 100 * echo.seq)) < 30);
  const rtts = echoes.map((e) => e.rttMs!);
  t.true(rtts[0]! >= 340 && rtts[3]! >= 40, rtts.join(', '));
  t.true(rtts[5]! < 50, 'after the release, on time again');

  // Never released: every frame is lost, and the session ends once the last one's timeout passed.
  const stuck = await holdingRelay(t, target);
  const stuckStart = monotonicMs();
  const lost = await echoSchedule(stuck.via, 0, { startMs: stuckStart, untilMs: stuckStart + 250, intervalMs: 100, sizeBytes: 64, timeoutMs: 300 });
  t.deepEqual(
    lost.echoes.map((e) => e.rttMs),
    [null, null, null],
  );
  t.true(monotonicMs() - stuckStart >= 200 + 300 - 5);
});

test.serial('a timed download ends with a reset, not a close that lets queued bytes drain', async (t) => {
  // A stand-in server that writes without end and records how its connection ended.
  const endings: string[] = [];
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      socket.write('{"acceptMs":0}\n');
      const pump = () => {
        while (!socket.destroyed && socket.write(Buffer.alloc(64 * 1024))) {
          // fill the buffers
        }
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => endings.push(error.code ?? error.message));
    socket.on('end', () => endings.push('end'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const refMs = monotonicMs();
  await download({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, 0, refMs, refMs + 300, 100);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.deepEqual(endings, ['ECONNRESET']);
});

test.serial('page load: the document, then 40 objects over 6 keep-alive connections, every byte verified', async (t) => {
  const target = await startServer(t);
  const page = await loadPage(target, SYNTHETIC_PAGE, 1000, 10_000);
  t.is(page.error, null);
  t.is(page.objectsLoaded, SYNTHETIC_PAGE.objectBytes.length);
  t.is(page.connectionsOpened, 6);
  t.true(page.startMs < page.documentMs! && page.documentMs! < page.endMs!);
  const late = await loadPage(target, SYNTHETIC_PAGE, 1000, 1);
  t.is(late.error, 'timeout');
  t.is(late.endMs, null);
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
