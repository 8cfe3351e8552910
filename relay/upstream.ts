// Connections from the local to the remote: MPTCP sockets made through libc, handed to
// Node, with Fast Open when asked. Also the one place that reads the remote's status byte.
import net from 'node:net';
import { familyOf } from './ip.ts';
import type { KeepaliveOptions } from './sockets.ts';
import { closeFd, enableFastOpenConnect, mptcpSocket, setKeepalive } from './sockets.ts';

export interface UpstreamTarget {
  address: string;
  port: number;
  fastOpen: boolean;
  keepalive: KeepaliveOptions;
}

/**
 * Starts an MPTCP connection to the remote. Writes made right away are queued by Node
 * and, with Fast Open, the first of them rides in the SYN (once the kernel holds a
 * cookie for the remote; the very first connection learns it). Keepalive tuning the
 * kernel refuses (MPTCP sockets before 2024 refuse TCP_KEEPIDLE/INTVL/CNT) is handed to
 * `onKeepaliveRefused`, and the connection goes on without it.
 */
export function openUpstream(target: UpstreamTarget, onKeepaliveRefused: (error: unknown) => void, keepalive = setKeepalive): net.Socket {
  const fd = mptcpSocket(familyOf(target.address));
  try {
    if (target.fastOpen) enableFastOpenConnect(fd);
  } catch (error) {
    closeFd(fd);
    throw error;
  }
  try {
    keepalive(fd, target.keepalive);
  } catch (error) {
    onKeepaliveRefused(error);
  }
  // manualStart: without it Node starts reading before connect() and the read fails.
  const options: net.SocketConstructorOpts & { manualStart: boolean } = { fd, manualStart: true, allowHalfOpen: true, readable: true, writable: true };
  const socket = new net.Socket(options);
  socket.setNoDelay(true);
  return socket.connect({ host: target.address, port: target.port });
}

/**
 * Resolves with the first byte the remote sends (its status), or undefined if the
 * connection ends, fails or times out first. Any bytes after it are put back, and the
 * socket is left paused for whoever pipes it next.
 */
export function readStatus(socket: net.Socket, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const done = (status: number | undefined) => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onGone).off('close', onGone).off('error', onGone);
      resolve(status);
    };
    const onData = (chunk: Buffer) => {
      socket.pause();
      if (chunk.length > 1) socket.unshift(chunk.subarray(1));
      done(chunk[0]);
    };
    const onGone = () => done(undefined);
    const timer = setTimeout(onGone, timeoutMs);
    socket.on('data', onData).on('end', onGone).on('close', onGone).on('error', onGone);
    socket.resume();
  });
}
