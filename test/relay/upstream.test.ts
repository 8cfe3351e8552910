// Connections to the remote: a keepalive option the kernel refuses (as MPTCP sockets did
// before 2024 for TCP_KEEPIDLE/INTVL/CNT) must not cost the connection.
import test from 'ava';
import net from 'node:net';
import os from 'node:os';
import { fdOf, mptcpState, setKeepalive, SocketCallError } from '../../relay/sockets.ts';
import { openUpstream } from '../../relay/upstream.ts';

test('a keepalive setting the kernel refuses is reported, and the upstream still connects', async (t) => {
  const server = net.createServer((socket) => socket.end('up'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const refused: unknown[] = [];
  // This kernel (6.18) accepts the options on MPTCP sockets; kernels before 2024 answered
  // EOPNOTSUPP, which is what this setter does after the real SO_KEEPALIVE call.
  const oldKernel = (fd: number) => {
    setKeepalive(fd, { idleSec: 60, intervalSec: 10, count: 6 });
    throw new SocketCallError('setsockopt(TCP_KEEPIDLE)', os.constants.errno.EOPNOTSUPP);
  };
  const socket = openUpstream(
    { address: '127.0.0.1', port: (server.address() as net.AddressInfo).port, fastOpen: false, keepalive: { idleSec: 60, intervalSec: 10, count: 6 } },
    (error) => refused.push(error),
    { keepalive: oldKernel },
  );
  const received = await new Promise<string>((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  socket.destroy(); // allowHalfOpen: our side stays open after the server's FIN
  t.is(received, 'up');
  t.deepEqual(
    refused.map((e) => e instanceof SocketCallError && { name: e.name, code: e.code, message: e.message }),
    [{ name: 'SocketCallError', code: 'ENOTSUP', message: 'setsockopt(TCP_KEEPIDLE) failed: ENOTSUP' }],
  );
});

test('an MPTCP connection to a plain TCP peer is seen as fallen back (the kernel refuses MPTCP_INFO there)', async (t) => {
  const accepted: net.Socket[] = [];
  const server = net.createServer((socket) => accepted.push(socket.on('error', () => {})));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of accepted) s.destroy();
    server.close();
  });
  const socket = openUpstream({ address: '127.0.0.1', port: (server.address() as net.AddressInfo).port, fastOpen: false, keepalive: { idleSec: 60, intervalSec: 10, count: 6 } }, () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('x'); // the fallback is decided once data flows
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(mptcpState(fdOf(socket)), { mptcp: false, subflows: 1 });
  socket.destroy();
});
