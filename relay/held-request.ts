// What the client sends before the remote's answer: forwarded at once to the connection
// the request went out on (the request rides right behind the header, no round trip
// lost), and kept, so that it can be sent again on another connection when that one
// turns out dead (no byte from the remote has reached the client yet, so nothing is
// lost or doubled on the client's side). Bounded: past `limitBytes` the client waits
// (backpressure) until the answer. The client's FIN is left to the pipe that follows.
import type net from 'node:net';

export class HeldRequest {
  readonly #client: net.Socket;
  readonly #limitBytes: number;
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  #upstream: net.Socket | undefined;
  #waiters: Array<() => void> = [];

  constructor(client: net.Socket, limitBytes: number) {
    this.#client = client;
    this.#limitBytes = limitBytes;
    client.on('data', this.#onData).on('end', this.#wake).on('close', this.#wake);
  }

  /** Bytes the client has sent so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Resolves once the client has sent something or ended, or after waitMs (whichever is first). */
  firstBytes(waitMs: number): Promise<void> {
    if (this.#bytes > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((waiter) => waiter !== done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.#waiters.push(done);
    });
  }

  /** Writes `header` and everything held in one write on `upstream`, and forwards what the client sends next there. */
  sendTo(upstream: net.Socket, header: Buffer): void {
    this.#upstream = upstream;
    upstream.write(Buffer.concat([header, ...this.#chunks]));
  }

  /** Stops holding and forwarding: the client is left paused for the pipe that takes over. */
  release(): void {
    this.#client.off('data', this.#onData).off('end', this.#wake).off('close', this.#wake);
    this.#client.pause();
    this.#chunks.length = 0;
    this.#upstream = undefined;
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    this.#upstream?.write(chunk);
    if (this.#bytes >= this.#limitBytes) this.#client.pause();
    this.#wake();
  };

  readonly #wake = (): void => {
    for (const wake of this.#waiters.splice(0)) wake();
  };
}
