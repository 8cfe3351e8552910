// What a relay holds that it has taken in and not yet sent on: over its relayed
// sockets, Node's write queue plus the kernel's unsent bytes (SIOCOUTQNSD). What is in
// flight is not counted: the kernel holds it for retransmission, bounded by the window.
import type net from 'node:net';
import { fdOf, kernelUnsentBytes } from './sockets.ts';

export class UnsentBytes {
  readonly #sockets = new Set<net.Socket>();

  /** Counts `socket` until it closes. */
  watch(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  total(): number {
    let bytes = 0;
    for (const socket of this.#sockets) bytes += socket.writableLength + kernelBytes(socket);
    return bytes;
  }
}

function kernelBytes(socket: net.Socket): number {
  try {
    return kernelUnsentBytes(fdOf(socket));
  } catch {
    return 0; // no descriptor: Node is closing it and holds nothing the kernel would send
  }
}
