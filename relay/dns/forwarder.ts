// Forwards one DNS query as DNS over TCP (RFC 7766) to a resolver, over a stream the
// relay opens (so over both links). If no answer came after retryAfterMs, the same
// query goes out once more on another stream (a pooled connection can have been on the
// link that just died); the first valid answer wins. After timeoutMs it gives up, and
// every stream it opened is closed whether or not it ever connected.
import type net from 'node:net';
import type { Destination } from '../protocol.ts';
import { FrameReader } from './framing.ts';
import { checkAnswer, frame, MAX_MESSAGE_BYTES, readHeader } from './wire.ts';

/** A relayed stream to a destination: its socket carries the destination's bytes once `accepted` resolves without a problem. */
export interface RelayedStream {
  socket: net.Socket;
  /** Undefined once the remote said ok; else why the stream cannot be used. */
  accepted: Promise<string | undefined>;
}

/** Opens a relayed stream to `destination`, `payload` written as its first bytes. */
export type OpenStream = (destination: Destination, payload: Buffer) => Promise<RelayedStream>;

export interface ForwarderOptions {
  open: OpenStream;
  timeoutMs: number;
  retryAfterMs: number;
}

export type ForwardOutcome =
  | { kind: 'answer'; answer: Buffer; attempts: number }
  /** `why`: the last attempt's problem (relay refusal, closed stream, bad answer) or `timeout`. */
  | { kind: 'failed'; why: string; attempts: number };

const MAX_ATTEMPTS = 2;

/** One attempt: the query on a fresh stream, then one framed answer read back. Calls `done` once; `abort` closes it. */
function attempt(options: ForwarderOptions, query: Buffer, resolver: Destination, done: (outcome: { answer: Buffer } | { why: string }) => void): () => void {
  let socket: net.Socket | undefined;
  let aborted = false;
  const id = readHeader(query)!.id;
  const finish = (outcome: { answer: Buffer } | { why: string }) => {
    if (aborted) return;
    aborted = true;
    socket?.destroy();
    done(outcome);
  };
  const read = (stream: net.Socket) => {
    const reader = new FrameReader(MAX_MESSAGE_BYTES);
    stream.on('data', (chunk: Buffer) => {
      const [event] = reader.push(chunk);
      if (!event) return;
      if (event.kind === 'bad-length') return finish({ why: `answer-length-${event.lengthBytes}` });
      const checked = checkAnswer(event.message, id);
      finish(checked.ok ? { answer: event.message } : { why: `answer-${checked.problem}` });
    });
    stream.on('end', () => finish({ why: 'closed' }));
    stream.on('close', () => finish({ why: 'closed' }));
    stream.resume();
  };
  options.open(resolver, frame(query)).then(
    async (stream) => {
      socket = stream.socket;
      socket.on('error', (error: NodeJS.ErrnoException) => finish({ why: `stream-${error.code ?? 'error'}` }));
      // Given up while it was being opened: close it now.
      if (aborted) return void socket.destroy();
      const problem = await stream.accepted;
      if (problem !== undefined) return finish({ why: problem });
      if (!aborted) read(stream.socket);
    },
    (error: unknown) => finish({ why: error instanceof Error && 'code' in error ? String(error.code) : 'open-failed' }),
  );
  return () => {
    aborted = true;
    socket?.destroy();
  };
}

export function forwardQuery(options: ForwarderOptions, query: Buffer, resolver: Destination): Promise<ForwardOutcome> {
  return new Promise((resolve) => {
    const aborts: Array<() => void> = [];
    let failed = 0;
    let settled = false;
    const settle = (outcome: ForwardOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(retry);
      for (const abort of aborts) abort();
      resolve(outcome);
    };
    const start = () => {
      if (settled || aborts.length >= MAX_ATTEMPTS) return;
      aborts.push(
        attempt(options, query, resolver, (outcome) => {
          if ('answer' in outcome) return settle({ kind: 'answer', answer: outcome.answer, attempts: aborts.length });
          failed++;
          // A failed attempt is retried at once; when every attempt failed, so did the query.
          if (failed === MAX_ATTEMPTS) return settle({ kind: 'failed', why: outcome.why, attempts: aborts.length });
          clearTimeout(retry);
          start();
        }),
      );
    };
    const deadline = setTimeout(() => settle({ kind: 'failed', why: 'timeout', attempts: aborts.length }), options.timeoutMs);
    const retry = setTimeout(start, options.retryAfterMs);
    start();
  });
}
