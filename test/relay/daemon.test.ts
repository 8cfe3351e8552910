// The daemon as deployed (compiled CLI, its own process): SIGHUP takes new keys from the
// config file without dropping the connections that are open.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { encodeHeader, NONCE_BYTES, ANSWER_BYTES } from '../../relay/protocol.ts';
import { startDaemon } from './helpers/daemons.ts';
import { startEchoServer } from './helpers/echo.ts';
import { waitFor } from './helpers/relays.ts';

/** Opens a connection with a connect header for `key` and resolves with the socket once the answer is in. */
function relayed(port: number, echoPort: number, keyId: number, secret: Buffer): Promise<{ socket: net.Socket; code: number | undefined; received: () => string }> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const socket = net.connect({ host: '127.0.0.1', port });
    const header = encodeHeader({ type: 'connect', keyId, timestampMs: Date.now(), nonce: randomBytes(NONCE_BYTES), destination: { address: '127.0.0.1', port: echoPort, family: 4 } }, secret);
    socket.on('connect', () => socket.write(header));
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      const first = buffer.length === 0;
      buffer = Buffer.concat([buffer, chunk]);
      if (first) resolve({ socket, code: buffer[0], received: () => buffer.subarray(ANSWER_BYTES).toString() });
    });
  });
}

test('SIGHUP reloads the keys from the config file; an open connection goes on', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mprelay-hup-'));
  const echo = await startEchoServer('127.0.0.1');
  t.teardown(async () => {
    await echo.close();
    await rm(dir, { recursive: true, force: true });
  });
  const [first, second] = [randomBytes(32), randomBytes(32)];
  const config = (keys: Array<{ id: number; secret: Buffer }>) => ({
    listen: { address: '127.0.0.1', port: 0 },
    keys: keys.map((k) => ({ id: k.id, secret: k.secret.toString('base64') })),
    allowDestinations: ['127.0.0.1/32'],
    log: { level: 'info' },
  });
  const remote = await startDaemon('remote', config([{ id: 1, secret: first }]), dir);
  t.teardown(() => remote.stop());
  const held = await relayed(remote.port, echo.port, 1, first);
  t.is(held.code, 0x00);

  await writeFile(path.join(dir, 'remote.yaml'), stringify(config([{ id: 2, secret: second }])));
  process.kill(remote.pid, 'SIGHUP');
  await waitFor(() => remote.lines.some((line) => line.msg === 'reloaded'), 'the reload');
  t.like(remote.lines.find((line) => line.msg === 'reloaded'), { keyIds: [2] });
  t.is((await relayed(remote.port, echo.port, 1, first)).code, 0x01, 'the old key is refused');
  const fresh = await relayed(remote.port, echo.port, 2, second);
  t.is(fresh.code, 0x00, 'the new key is accepted');
  fresh.socket.destroy();

  held.socket.write('still here');
  await waitFor(() => held.received() === 'still here', 'the held connection to echo after the reload');
  held.socket.destroy();
  t.is(await remote.stop(), 0, 'still running until SIGTERM, then exits 0');
});
