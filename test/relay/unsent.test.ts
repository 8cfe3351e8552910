// UnsentBytes on real loopback sockets: Node's queue and the kernel's unsent bytes are
// counted while a socket is open, nothing once it closed.
import test from 'ava';
import net from 'node:net';
import { kernelUnsentBytes, fdOf } from '../../relay/sockets.ts';
import { UnsentBytes } from '../../relay/unsent.ts';

test("counts Node's queue and the kernel's unsent bytes of a watched socket until it closes", async (t) => {
  const server = net.createServer((socket) => socket.pause()); // the receiver reads nothing
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' });
  await new Promise((resolve) => socket.once('connect', resolve));
  const unsent = new UnsentBytes();
  t.is(unsent.total(), 0);
  unsent.watch(socket);
  // More than both receive and send buffers take: some stays in the kernel unsent, the rest with Node.
  socket.write(Buffer.alloc(16 * 1024 * 1024));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const kernel = kernelUnsentBytes(fdOf(socket));
  t.true(kernel > 0, `kernel unsent ${kernel} B`);
  t.is(unsent.total(), socket.writableLength + kernel);
  socket.destroy();
  await new Promise((resolve) => socket.once('close', resolve));
  t.is(unsent.total(), 0);
  server.close();
});
