// Opening over the links: a link that is up is used at once; with no verdict, a race
// whose second attempt starts only after the first link's race delay, and whose loser is closed.
import test from 'ava';
import net from 'node:net';
import { openOverLinks, type OpenFrom } from '../../relay/race.ts';
import type { Links } from '../../relay/links.ts';
import type { MonitoredLink } from '../../relay/link-monitor.ts';

const A: MonitoredLink = { name: 'a', address: '127.0.0.1' };
const B: MonitoredLink = { name: 'b', address: '127.0.0.2' };

/** The two things openOverLinks asks of the links: a verdict-based pick and a race delay. */
function linksWith(up: MonitoredLink | undefined, raceDelayMs: number): Links {
  return { list: [A, B], pick: () => up, raceDelayMs: () => raceDelayMs } as unknown as Links;
}

async function listener(t: import('ava').ExecutionContext): Promise<number> {
  const server = net.createServer((socket) => socket.on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

/** Opens to the loopback listener from the link's address, recording each source asked for. */
function recordingOpener(port: number): { sources: Array<string | undefined>; open: OpenFrom } {
  const sources: Array<string | undefined> = [];
  return { sources, open: (source) => (sources.push(source), net.connect({ host: '127.0.0.1', port, localAddress: source })) };
}

test('a link that is up: its source address at once, no race', async (t) => {
  const { sources, open } = recordingOpener(await listener(t));
  const opened = await openOverLinks(linksWith(B, 100), open);
  t.teardown(() => opened.socket.destroy());
  t.deepEqual(sources, ['127.0.0.2']);
  t.like(opened, { link: B, raced: false });
});

test('a link chosen by the caller (the pool) is used over the links\' pick', async (t) => {
  const { sources, open } = recordingOpener(await listener(t));
  const opened = await openOverLinks(linksWith(A, 100), open, B);
  t.teardown(() => opened.socket.destroy());
  t.deepEqual(sources, ['127.0.0.2']);
  t.like(opened, { link: B, raced: false });
});

test('no verdict: the first link that connects wins; the next is tried only after the race delay; the loser is closed', async (t) => {
  const port = await listener(t);
  const attempts: Array<{ source: string | undefined; atMs: number; socket: net.Socket }> = [];
  const startMs = performance.now();
  const open: OpenFrom = (source) => {
    // Link A never answers (a socket that is never connected); link B connects on loopback.
    const socket = source === A.address ? new net.Socket() : net.connect({ host: '127.0.0.1', port, localAddress: source });
    attempts.push({ source, atMs: performance.now() - startMs, socket });
    return socket;
  };
  const opened = await openOverLinks(linksWith(undefined, 120), open);
  t.teardown(() => opened.socket.destroy());
  t.like(opened, { link: B, raced: true });
  t.deepEqual(attempts.map((a) => a.source), ['127.0.0.1', '127.0.0.2']);
  t.true((attempts[1]?.atMs ?? 0) >= 118, `B tried at ${attempts[1]?.atMs} ms, race delay 120 ms`);
  t.true(attempts[0]?.socket.destroyed, 'the attempt over A is closed');
  t.false(opened.socket.destroyed);
});

test('no verdict, the first link connects in time: no second attempt', async (t) => {
  const { sources, open } = recordingOpener(await listener(t));
  const opened = await openOverLinks(linksWith(undefined, 200), open);
  t.teardown(() => opened.socket.destroy());
  await new Promise((r) => setTimeout(r, 250));
  t.deepEqual(sources, ['127.0.0.1']);
  t.like(opened, { link: A, raced: true });
});

test('no verdict, every link fails: the race rejects with the last error', async (t) => {
  const open: OpenFrom = (source) => net.connect({ host: '127.0.0.1', port: 1, localAddress: source });
  await t.throwsAsync(openOverLinks(linksWith(undefined, 1000), open), { code: 'ECONNREFUSED' });
});
