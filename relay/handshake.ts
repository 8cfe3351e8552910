// The remote's per-connection state machine up to the destination connect: bytes,
// end of input and the deadline go in, one decision comes out. No sockets, no timers:
// remote.ts carries the decisions out, and the fuzz test drives this directly.
//
//   fresh --HELLO ok--> pooled --CONNECT (bound to the challenge)--> connect
//   fresh --CONNECT (unbound)--> connect
//   any rejection, FIN or deadline before connect --> done
import { randomBytes } from 'node:crypto';
import {
  CHALLENGE_BYTES,
  encodeAnswer,
  HeaderDecoder,
  HeaderError,
  PROTOCOL_VERSION,
  STATUS,
  unauthenticatedAnswer,
  type ConnectHeader,
  type Header,
  type HeaderErrorKind,
  type KeyLookup,
  type StatusName,
} from './protocol.ts';
import type { ReplayGuard } from './replay.ts';

export type Rejection = HeaderErrorKind | 'stale' | 'replay' | 'replay-cache-full' | 'timeout';

export type Decision =
  /** Hello accepted: send `answer` (ok + challenge) and wait for the connect header. */
  | { do: 'pool'; answer: Buffer }
  /** Authenticated connect header: connect, then send `answer(status)`; `early` are the client's first bytes. */
  | { do: 'connect'; header: ConnectHeader; early: Buffer; answer: (status: StatusName) => Buffer }
  /** Answer `answer`, half-close, discard the rest. */
  | { do: 'refuse'; kind: Rejection; detail: string; answer: Buffer }
  /** Reset without an answer. */
  | { do: 'drop'; kind: Rejection; detail: string }
  /** The peer finished (FIN) before a header: close quietly (a trimmed pool connection). */
  | { do: 'close'; pooled: boolean };

export type HandshakeState = 'fresh' | 'pooled' | 'done';

/** A peer that holds a key (stale clock, replayed, old key id) is told; anything else is dropped. */
const TOLD: ReadonlySet<Rejection> = new Set<Rejection>(['mac', 'unknown-key', 'stale', 'replay']);

export class Handshake {
  readonly #decoder: HeaderDecoder;
  #state: HandshakeState = 'fresh';

  constructor(
    private readonly keys: KeyLookup,
    private readonly replay: ReplayGuard,
    private readonly challenge: () => Buffer = () => randomBytes(CHALLENGE_BYTES),
  ) {
    this.#decoder = new HeaderDecoder(keys);
  }

  get state(): HandshakeState {
    return this.#state;
  }

  /** Bytes from the peer; a decision once one is due, else undefined (need more). */
  data(chunk: Buffer): Decision | undefined {
    if (this.#state === 'done') return undefined;
    let result;
    try {
      result = this.#decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof HeaderError)) throw error;
      // An older mprelay is told why; any other first byte is a scanner, dropped.
      if (error.kind === 'version' && error.peerVersion !== undefined && error.peerVersion < PROTOCOL_VERSION && error.peerVersion > 0) {
        return this.#reject('version', error.message, unauthenticatedAnswer(STATUS.version));
      }
      return this.#reject(error.kind, error.kind === 'version' ? 'not an mprelay header' : error.message);
    }
    if (result.state === 'need-more') return undefined;
    return this.#header(result.header, result.rest);
  }

  /** The peer half-closed before its header was complete. */
  end(): Decision | undefined {
    if (this.#state === 'done') return undefined;
    const pooled = this.#state === 'pooled';
    this.#state = 'done';
    return { do: 'close', pooled };
  }

  /** The deadline for the next header passed. */
  timeout(): Decision | undefined {
    if (this.#state === 'done') return undefined;
    return this.#reject('timeout', this.#state === 'pooled' ? 'no connect header within pooledIdleTimeoutMs' : 'no header within headerTimeoutMs');
  }

  #header(header: Header, rest: Buffer): Decision {
    if (header.type === 'hello' && this.#state === 'pooled') return this.#reject('malformed', 'a second hello on a pooled connection');
    const secret = this.keys(header.keyId);
    if (!secret) return this.#reject('unknown-key', `unknown key id ${header.keyId}`); // keys changed by a reload meanwhile
    const verdict = this.replay.check(header.timestampMs, header.nonce);
    if (verdict === 'full') return this.#reject('replay-cache-full', 'too many headers within the replay window', encodeAnswer({ code: STATUS.overload }, secret, header.nonce));
    if (verdict !== 'ok') return this.#reject(verdict, `${verdict} header`, encodeAnswer({ code: STATUS.authFailure }, secret, header.nonce));
    if (header.type === 'hello') {
      const challenge = this.challenge();
      this.#decoder.bind(challenge);
      this.#state = 'pooled';
      if (rest.length > 0) return this.#reject('malformed', 'bytes after a hello before its answer');
      return { do: 'pool', answer: encodeAnswer({ code: STATUS.ok, challenge }, secret, header.nonce) };
    }
    this.#state = 'done';
    return { do: 'connect', header, early: rest, answer: (status) => encodeAnswer({ code: STATUS[status] }, secret, header.nonce) };
  }

  #reject(kind: Rejection, detail: string, answer?: Buffer): Decision {
    this.#state = 'done';
    if (answer) return { do: 'refuse', kind, detail, answer };
    if (TOLD.has(kind)) return { do: 'refuse', kind, detail, answer: unauthenticatedAnswer(STATUS.authFailure) };
    return { do: 'drop', kind, detail };
  }
}
