// The remote's budget for unauthenticated connections (relay/admission.ts) under a real
// flood: 5,000 silent connections from one source in a namespace of its own, at the
// ~1,000 a second that used to lock every local out, against a real `mprelay remote`
// while a real `mprelay local` keeps relaying. Time to first byte through the relay is
// measured without and during the flood in the same run and compared as a ratio.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { quantileSorted } from 'simple-statistics';
import { sourceKey, UnauthenticatedBudget } from '../../relay/admission.ts';
import { remoteConfigSchema } from '../../relay/config.ts';
import { startDaemon, type Daemon } from './helpers/daemons.ts';
import { startEchoServer, type EchoServer } from './helpers/echo.ts';
import { enterNewNamespace, type TestNamespace } from './helpers/netns.ts';
import { testSecret, waitFor } from './helpers/relays.ts';

test('sourceKey: an IPv4 address (also v4-mapped) is its own source; IPv6 counts per /64', (t) => {
  t.is(sourceKey('192.0.2.7'), '192.0.2.7');
  t.is(sourceKey('::ffff:192.0.2.7'), '192.0.2.7');
  t.is(sourceKey('2001:db8:1:2::5'), sourceKey('2001:db8:1:2:ffff::9'));
  t.not(sourceKey('2001:db8:1:2::5'), sourceKey('2001:db8:1:3::5'));
});

test('UnauthenticatedBudget: per-source cap first, then the total; release gives the slot back', (t) => {
  const budget = new UnauthenticatedBudget({ maxConnections: 3, perSource: 2 });
  t.deepEqual(['a', 'a', 'a', 'b', 'c'].map((source) => budget.admit(source)), ['ok', 'ok', 'source-limit', 'ok', 'total-limit']);
  t.is(budget.total, 3);
  budget.release('a');
  t.is(budget.admit('c'), 'ok');
  budget.release('unknown');
  t.is(budget.total, 3, 'releasing a source that holds nothing changes nothing');
});

const CLIENT = '10.204.0.1';
const SERVER = '203.0.113.9';
/** The remote's address on the veth to the flood's namespace (the local reaches it on the same address). */
const REMOTE = '10.204.1.1';
const FLOODER = '10.204.1.2';
const FLOOD_CONNECTIONS = 5000;
const FLOOD_PER_SECOND = 1000;
const FLOOD_SECONDS = FLOOD_CONNECTIONS / FLOOD_PER_SECOND;
/** The remote's defaults for connections without a header yet (the flood runs against them). */
const LIMITS = remoteConfigSchema.parse({ listen: { address: REMOTE, port: 0 }, keys: [{ id: 1, secret: testSecret }] }).unauthenticated;
/** Issue 12's bound: time to first byte during the flood at most this times the one without it (medians). */
const MAX_TTFB_RATIO = 1.2;
/** Pause between two measured connections: a household's pace, not a benchmark's. */
const SAMPLE_GAP_MS = 20;

let ns: TestNamespace;
let floodNs: string;
let dir: string;
let echo: EchoServer;
let remote: Daemon;
let local: Daemon;

test.before(async () => {
  ns = await enterNewNamespace('admission');
  floodNs = `${ns.name}-flood`;
  dir = await mkdtemp(path.join(tmpdir(), 'mprelay-admission-'));
  await execa('ip', ['netns', 'add', floodNs]);
  const inFlood = (file: string, args: readonly string[]) => execa('ip', ['netns', 'exec', floodNs, file, ...args]);
  await ns.run('ip', ['addr', 'add', `${CLIENT}/32`, 'dev', 'lo']);
  await ns.run('ip', ['addr', 'add', `${SERVER}/32`, 'dev', 'lo']);
  await ns.run('ip', ['link', 'add', 'flood0', 'type', 'veth', 'peer', 'name', 'flood1', 'netns', floodNs]);
  await ns.run('ip', ['addr', 'add', `${REMOTE}/24`, 'dev', 'flood0']);
  await ns.run('ip', ['link', 'set', 'flood0', 'up']);
  await inFlood('ip', ['addr', 'add', `${FLOODER}/24`, 'dev', 'flood1']);
  await inFlood('ip', ['link', 'set', 'flood1', 'up']);
  await inFlood('ip', ['link', 'set', 'lo', 'up']);
  echo = await startEchoServer(SERVER, 80);
  remote = await startDaemon(
    'remote',
    {
      listen: { address: REMOTE, port: 0 },
      keys: [{ id: 1, secret: testSecret }],
      allowDestinations: [`${SERVER}/32`],
      metrics: { address: '127.0.0.1', port: 0 },
      log: { level: 'info' },
    },
    dir,
  );
  local = await startDaemon(
    'local',
    {
      listen: { address: '0.0.0.0', port: 0 },
      remote: { address: REMOTE, port: remote.port },
      key: { id: 1, secret: testSecret },
      metrics: { address: '127.0.0.1', port: 0 },
      log: { level: 'info' },
    },
    dir,
  );
  await ns.redirectFrom(CLIENT, local.port, 'mpl_admission');
});

test.after.always(async () => {
  await local?.stop();
  await remote?.stop();
  await echo?.close();
  await ns?.destroy();
  if (floodNs) await execa('ip', ['netns', 'del', floodNs], { reject: false });
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function metric(daemon: Daemon, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${daemon.metricsPort}/metrics`)).text();
  const pattern = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm');
  return [...text.matchAll(pattern)].filter((m) => (m[1] ?? '').includes(labels)).reduce((sum, m) => sum + Number(m[2]), 0);
}

/** One client connection through the relay: writes a small request at connect; ms until the first echoed byte; checks the whole echo. */
function ttfbMs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = randomBytes(256);
    const started = process.hrtime.bigint();
    let firstByteMs: number | undefined;
    let echoed = Buffer.alloc(0);
    const socket = net.connect({ host: SERVER, port: 80, localAddress: CLIENT });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      firstByteMs ??= Number(process.hrtime.bigint() - started) / 1e6;
      echoed = Buffer.concat([echoed, chunk]);
      if (echoed.length >= request.length) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      if (firstByteMs !== undefined && echoed.equals(request)) resolve(firstByteMs);
      else reject(new Error(`echoed ${echoed.length} of ${request.length} bytes`));
    });
  });
}

/** Sequential measured connections for `seconds`; their ttfb, sorted. */
async function ttfbSamples(seconds: number): Promise<number[]> {
  const samples: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    samples.push(await ttfbMs());
    await new Promise((r) => setTimeout(r, SAMPLE_GAP_MS));
  }
  return samples.sort((a, b) => a - b);
}

interface FloodCounts {
  attempted: number;
  connected: number;
  reset: number;
  closed: number;
  failed: number;
  failedBy: Record<string, number>;
  seconds: number;
}

function startFlood(): { child: ResultPromise; started: Promise<void>; counts: Promise<FloodCounts> } {
  const script = path.resolve(import.meta.dirname, 'helpers/silent-flood.mjs');
  const args = ['netns', 'exec', floodNs, process.execPath, script, REMOTE, String(remote.port), String(FLOOD_CONNECTIONS), String(FLOOD_PER_SECOND)];
  const child = execa('ip', args, { reject: false, buffer: false, stderr: 'inherit' });
  const lines: string[] = [];
  let rest = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  const started = waitFor(() => lines.includes('started'), 'the flood to start', 10_000);
  const counts = child.then(() => JSON.parse(lines.at(-1) ?? 'null') as FloodCounts);
  return { child, started, counts };
}

const summary = (ms: number[]) =>
  `n=${ms.length} median ${quantileSorted(ms, 0.5).toFixed(2)} ms, p90 ${quantileSorted(ms, 0.9).toFixed(2)} ms, max ${ms.at(-1)!.toFixed(2)} ms`;

test.serial(`${FLOOD_CONNECTIONS} silent connections from one source at ${FLOOD_PER_SECOND}/s: the local keeps relaying, ttfb at most ${MAX_TTFB_RATIO} x without the flood`, async (t) => {
  await waitFor(async () => (await metric(local, 'mprelay_pool_idle')) >= 2, 'the pool to fill');
  const quiet = await ttfbSamples(FLOOD_SECONDS);
  const overloadBefore = await metric(remote, 'mprelay_errors_total', 'kind="overload"');
  const flood = startFlood();
  t.teardown(() => void flood.child.kill('SIGKILL'));
  await flood.started;
  const flooded = await ttfbSamples(FLOOD_SECONDS);
  const counts = await flood.counts;
  const dropped = await metric(remote, 'mprelay_errors_total', 'kind="unauthenticated-source-limit"');
  t.log(`without the flood: ttfb ${summary(quiet)}`);
  t.log(`during the flood:  ttfb ${summary(flooded)}`);
  t.log(`flood: ${JSON.stringify(counts)}; remote reset ${dropped} at the per-source cap`);
  t.is(counts.attempted, FLOOD_CONNECTIONS);
  t.true(counts.seconds >= FLOOD_SECONDS, `the flood lasted ${counts.seconds.toFixed(1)} s`);
  // The per-source cap held: the remote admits at most that many at a time, each for at
  // most headerTimeoutMs, and resets the rest at once.
  const mostAdmitted = LIMITS.perSource * Math.ceil((counts.seconds * 1000) / LIMITS.headerTimeoutMs + 1);
  t.true(dropped >= FLOOD_CONNECTIONS - mostAdmitted, `${dropped} reset at the cap, expected at least ${FLOOD_CONNECTIONS - mostAdmitted}`);
  t.is(await metric(remote, 'mprelay_errors_total', 'kind="overload"'), overloadBefore, 'no local was refused with overload');
  const ratio = quantileSorted(flooded, 0.5) / quantileSorted(quiet, 0.5);
  t.log(`ttfb ratio (medians, during / without): ${ratio.toFixed(2)}`);
  t.true(ratio <= MAX_TTFB_RATIO, `ttfb during the flood is ${ratio.toFixed(2)} x the one without it, above ${MAX_TTFB_RATIO}`);
});
