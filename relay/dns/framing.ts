// DNS over TCP's framing (RFC 7766 section 8): each message follows its 2-byte length.
// Splits a byte stream into messages, refusing any longer than the caller allows.

export type FrameEvent = { kind: 'message'; message: Buffer } | { kind: 'bad-length'; lengthBytes: number };

export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {}

  /** Bytes held that do not make a whole message yet. */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  /**
   * Takes the next chunk of the stream; returns the whole messages it completes. A
   * `bad-length` event (zero, or above maxBytes) ends the stream's use: nothing after it can be trusted to be framed.
   */
  push(chunk: Buffer): FrameEvent[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const events: FrameEvent[] = [];
    while (this.#pending.length >= 2) {
      const lengthBytes = this.#pending.readUInt16BE(0);
      if (lengthBytes > this.maxBytes || lengthBytes === 0) {
        events.push({ kind: 'bad-length', lengthBytes });
        this.#pending = Buffer.alloc(0);
        break;
      }
      if (this.#pending.length < 2 + lengthBytes) break;
      events.push({ kind: 'message', message: Buffer.from(this.#pending.subarray(2, 2 + lengthBytes)) });
      this.#pending = this.#pending.subarray(2 + lengthBytes);
    }
    return events;
  }
}
