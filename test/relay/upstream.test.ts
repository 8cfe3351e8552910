// Connections to the remote: a keepalive option the kernel refuses (as MPTCP sockets did
// before 2024 for TCP_KEEPIDLE/INTVL/CNT) must not cost the connection.
import test from 'ava';
import net from 'node:net';
import { SocketCallError } from '../../relay/sockets.ts';
import { openUpstream } from '../../relay/upstream.ts';

test('a keepalive setting the kernel refuses is reported, and the upstream still connects', async (t) => {
  const server = net.createServer((socket) => socket.end('up'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const refused: unknown[] = [];
  // TCP_KEEPIDLE 0 is EINVAL on every kernel: the same path as an old kernel's refusal.
  const socket = openUpstream(
    { address: '127.0.0.1', port: (server.address() as net.AddressInfo).port, fastOpen: false, keepalive: { idleSec: 0, intervalSec: 10, count: 6 } },
    (error) => refused.push(error),
  );
  const received = await new Promise<string>((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  t.is(received, 'up');
  t.deepEqual(
    refused.map((e) => e instanceof SocketCallError && { name: e.name, code: e.code, message: e.message }),
    [{ name: 'SocketCallError', code: 'EINVAL', message: 'setsockopt(TCP_KEEPIDLE) failed: EINVAL' }],
  );
});
