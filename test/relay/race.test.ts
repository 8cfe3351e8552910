// Opening over the links: a race that starts on the preferred link (the first up, or the
// first configured with no verdict) and tries the next only after the first's race delay,
// and whose loser is closed; the pool's link and Fast Open's preferred link at once.
import test from 'ava';
import net from 'node:net';
import { openOverLinks, type OpenFrom } from '../../relay/race.ts';
import type { Links } from '../../relay/links.ts';
import type { MonitoredLink } from '../../relay/link-monitor.ts';

const A: MonitoredLink = { name: 'a', address: '127.0.0.1' };
const B: MonitoredLink = { name: 'b', address: '127.0.0.2' };

/** The two things openOverLinks asks of the links: a verdict-based pick (never `avoid`) and a race delay. */
function linksWith(up: MonitoredLink | undefined, raceDelayMs: number): Links {
  return { list: [A, B], pick: (avoid?: string) => (up?.name === avoid ? undefined : up), raceDelayMs: () => raceDelayMs } as unknown as Links;
}

/** Link A never answers (a socket that is never connected); link B connects on loopback. Records when each was tried. */
function deadAOpener(port: number) {
  const attempts: Array<{ source: string | undefined; atMs: number; socket: net.Socket }> = [];
  const startMs = performance.now();
  const open: OpenFrom = (source) => {
    const socket = source === A.address ? new net.Socket() : net.connect({ host: '127.0.0.1', port, localAddress: source });
    attempts.push({ source, atMs: performance.now() - startMs, socket });
    return socket;
  };
  return { attempts, open };
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

test('a link that is up is tried first; it connects within its race delay: no second attempt', async (t) => {
  const { sources, open } = recordingOpener(await listener(t));
  const opened = await openOverLinks(linksWith(B, 200), open);
  t.teardown(() => opened.socket.destroy());
  await new Promise((r) => setTimeout(r, 250));
  t.deepEqual(sources, ['127.0.0.2']);
  t.like(opened, { link: B, raced: false });
});

test("a link chosen by the caller (the pool) is used at once, over the links' pick", async (t) => {
  const { sources, open } = recordingOpener(await listener(t));
  const opened = await openOverLinks(linksWith(A, 100), open, { link: B });
  t.teardown(() => opened.socket.destroy());
  t.deepEqual(sources, ['127.0.0.2']);
  t.like(opened, { link: B, raced: false });
});

test('with Fast Open (noRace) the preferred link opens at once, still connecting: the first write rides in its SYN', async (t) => {
  const { sources, open } = recordingOpener(await listener(t));
  const opened = await openOverLinks(linksWith(A, 100), open, { noRace: true });
  t.teardown(() => opened.socket.destroy());
  t.deepEqual(sources, ['127.0.0.1']);
  t.like(opened, { link: A, raced: false });
  t.true(opened.socket.connecting);
});

test('a link still called up that has died (no SYN-ACK): the next link after its race delay wins; the attempt over it is closed', async (t) => {
  const { attempts, open } = deadAOpener(await listener(t));
  const opened = await openOverLinks(linksWith(A, 120), open);
  t.teardown(() => opened.socket.destroy());
  t.like(opened, { link: B, raced: true });
  t.deepEqual(attempts.map((a) => a.source), ['127.0.0.1', '127.0.0.2']);
  t.true((attempts[1]?.atMs ?? 0) >= 118, `B tried at ${attempts[1]?.atMs} ms, race delay 120 ms`);
  t.true(attempts[0]?.socket.destroyed, 'the attempt over A is closed');
  t.false(opened.socket.destroyed);
});

test('no verdict: the configured order, the next only after the race delay', async (t) => {
  const { attempts, open } = deadAOpener(await listener(t));
  const opened = await openOverLinks(linksWith(undefined, 120), open);
  t.teardown(() => opened.socket.destroy());
  t.like(opened, { link: B, raced: true });
  t.deepEqual(attempts.map((a) => a.source), ['127.0.0.1', '127.0.0.2']);
});

test('the link of a connection that just died is tried last', async (t) => {
  const { sources, open } = recordingOpener(await listener(t));
  const opened = await openOverLinks(linksWith(A, 200), open, { avoid: 'a' });
  t.teardown(() => opened.socket.destroy());
  await new Promise((r) => setTimeout(r, 250));
  t.deepEqual(sources, ['127.0.0.2']);
  t.like(opened, { link: B, raced: false });
});

test('no verdict, every link fails: the race rejects with the last error', async (t) => {
  const open: OpenFrom = (source) => net.connect({ host: '127.0.0.1', port: 1, localAddress: source });
  await t.throwsAsync(openOverLinks(linksWith(undefined, 1000), open), { code: 'ECONNREFUSED' });
});
