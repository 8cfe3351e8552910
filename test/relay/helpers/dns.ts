// Asking a DNS server one question, over UDP or over TCP (RFC 7766 framing), as a client would.
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { FrameReader } from '../../../relay/dns/framing.ts';
import { frame, MAX_MESSAGE_BYTES } from '../../../relay/dns/wire.ts';

/** The first datagram back within timeoutMs, or undefined. */
export async function askUdp(address: string, port: number, query: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  const socket = dgram.createSocket('udp4');
  try {
    socket.send(query, port, address);
    return await new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      socket.once('message', (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  } finally {
    socket.close();
  }
}

/** The first framed answer on a new TCP connection (undefined if it closed first), within timeoutMs. */
export async function askTcp(to: { host: string; port: number; localAddress?: string }, payload: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  const socket = net.connect(to);
  socket.on('error', () => {});
  try {
    await once(socket, 'connect');
    socket.write(payload);
    const reader = new FrameReader(MAX_MESSAGE_BYTES);
    return await new Promise<Buffer | undefined>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no TCP answer within ${timeoutMs} ms`)), timeoutMs);
      socket.on('data', (chunk: Buffer) => {
        const event = reader.push(chunk)[0];
        if (event?.kind === 'message') (clearTimeout(timer), resolve(event.message));
      });
      socket.once('close', () => (clearTimeout(timer), resolve(undefined)));
    });
  } finally {
    socket.destroy();
  }
}

export const framed = frame;
