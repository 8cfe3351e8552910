// DNS over UDP from the LAN: each datagram is one query, answered from the socket it
// came to (so conntrack maps a redirected answer back to the address the client asked).
import dgram from 'node:dgram';
import net from 'node:net';
import type { Destination } from '../protocol.ts';
import type { DnsQueries } from './queries.ts';

export interface UdpListener {
  address: net.AddressInfo;
  close(): Promise<void>;
}

export async function listenUdp(listen: { address: string; port: number }, queries: DnsQueries, resolver: Destination): Promise<UdpListener> {
  const socket = dgram.createSocket({ type: net.isIPv6(listen.address) ? 'udp6' : 'udp4' });
  let closed = false;
  socket.on('message', (query, from) => {
    void queries.answer(query, 'udp', from.address, resolver).then((answer) => {
      if (answer && !closed) socket.send(answer, from.port, from.address);
    });
  });
  // A send to a client that went away fails with ICMP errors: nothing to do about it.
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(listen.port, listen.address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return {
    address: socket.address(),
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        socket.close(() => resolve());
      }),
  };
}
