// The mprelay wire format (relay/PROTOCOL.md is the byte-by-byte reference).
// Every header has the same length, whatever its type or address family, so a
// changed length can never be confused with a truncation and the MAC always sits
// at the same offset: any single changed byte is rejected, never "needs more".
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ipv4Bytes, ipv4Text, ipv6Bytes, ipv6Text, type IpFamily } from './ip.ts';

export const PROTOCOL_VERSION = 2;
export const NONCE_BYTES = 12;
/** HMAC-SHA256 truncated to 128 bits (as in RFC 4868's HMAC-SHA-256-128). */
export const MAC_BYTES = 16;
export const HEADER_BYTES = 58;
/** The remote's fresh random value in a hello's answer, covered by the next header's MAC. */
export const CHALLENGE_BYTES = 16;
/** code + MAC; an ok answer to a hello also carries the challenge between them. */
export const ANSWER_BYTES = 1 + MAC_BYTES;
export const HELLO_ANSWER_BYTES = 1 + CHALLENGE_BYTES + MAC_BYTES;
/** First byte of an answer's MAC input: never a header's version byte, so the two MACs cannot be confused. */
const ANSWER_TAG = 0xff;
const NO_CHALLENGE = Buffer.alloc(CHALLENGE_BYTES);
const NO_MAC = Buffer.alloc(MAC_BYTES);

const OFFSET = {
  version: 0,
  type: 1,
  keyId: 2,
  family: 3,
  timestamp: 4,
  nonce: 12,
  address: 24,
  port: 40,
  mac: 42,
} as const;

const TYPE_CODE = { connect: 1, hello: 2 } as const;
const FAMILY_CODE = { none: 0, ipv4: 4, ipv6: 6 } as const;

/** The one byte the remote answers to each header. */
export const STATUS = {
  ok: 0x00,
  authFailure: 0x01,
  policyRefused: 0x02,
  unreachable: 0x03,
  refused: 0x04,
  timeout: 0x05,
  overload: 0x06,
  version: 0x07,
} as const;
export type StatusName = keyof typeof STATUS;

const STATUS_BY_CODE = new Map(Object.entries(STATUS).map(([name, code]) => [code as number, name as StatusName]));

export function statusName(code: number): StatusName | undefined {
  return STATUS_BY_CODE.get(code);
}

export interface Destination {
  address: string;
  port: number;
  family: IpFamily;
}

/** Whether a header can name this destination (a client may still connect() to port 0). */
export function isRelayable(destination: Destination): boolean {
  return Number.isInteger(destination.port) && destination.port >= 1 && destination.port <= 65535;
}

interface HeaderBase {
  keyId: number;
  /** Sender's wall clock, Unix milliseconds: the remote checks it against its replay window. */
  timestampMs: number;
  nonce: Buffer;
}
/** Sent first on a pooled connection so the kernel joins the other subflows before use. */
export interface HelloHeader extends HeaderBase {
  type: 'hello';
}
export interface ConnectHeader extends HeaderBase {
  type: 'connect';
  destination: Destination;
}
export type Header = HelloHeader | ConnectHeader;

export type HeaderErrorKind = 'version' | 'type' | 'unknown-key' | 'mac' | 'malformed';

/** A header the remote must drop. `kind` is what metrics and logs count by. */
export class HeaderError extends Error {
  constructor(
    readonly kind: HeaderErrorKind,
    message: string,
    /** For kind 'version': the version byte the peer sent. */
    readonly peerVersion?: number,
  ) {
    super(message);
    this.name = 'HeaderError';
  }
}

function mac(secret: Buffer, ...signed: Buffer[]): Buffer {
  const hmac = createHmac('sha256', secret);
  for (const part of signed) hmac.update(part);
  return hmac.digest().subarray(0, MAC_BYTES);
}

/**
 * `challenge`: on a pooled connection, the one the remote sent in its answer to the
 * hello, which binds this header to that connection; none for a hello or a fresh connection.
 */
export function encodeHeader(header: Header, secret: Buffer, challenge: Buffer = NO_CHALLENGE): Buffer {
  if (!Number.isInteger(header.keyId) || header.keyId < 0 || header.keyId > 255) throw new RangeError(`key id ${header.keyId} is not 0..255`);
  if (header.nonce.length !== NONCE_BYTES) throw new RangeError(`nonce must be ${NONCE_BYTES} bytes`);
  const buf = Buffer.alloc(HEADER_BYTES);
  buf[OFFSET.version] = PROTOCOL_VERSION;
  buf[OFFSET.type] = TYPE_CODE[header.type];
  buf[OFFSET.keyId] = header.keyId;
  buf.writeBigUInt64BE(BigInt(header.timestampMs), OFFSET.timestamp);
  header.nonce.copy(buf, OFFSET.nonce);
  if (header.type === 'connect') {
    const { address, port, family } = header.destination;
    if (!isRelayable(header.destination)) throw new RangeError(`port ${port} is not 1..65535`);
    buf[OFFSET.family] = family === 4 ? FAMILY_CODE.ipv4 : FAMILY_CODE.ipv6;
    (family === 4 ? ipv4Bytes(address) : ipv6Bytes(address)).copy(buf, OFFSET.address);
    buf.writeUInt16BE(port, OFFSET.port);
  }
  mac(secret, buf.subarray(0, OFFSET.mac), challenge).copy(buf, OFFSET.mac);
  return buf;
}

export interface Answer {
  code: number;
  /** Present in an ok answer to a hello. */
  challenge?: Buffer;
}

/** The remote's answer to a header: code, challenge (ok to a hello), MAC over the request's nonce and both. */
export function encodeAnswer(answer: Answer, secret: Buffer, requestNonce: Buffer): Buffer {
  const challenge = answer.challenge ?? NO_CHALLENGE;
  const code = Buffer.from([answer.code]);
  const tag = mac(secret, Buffer.from([ANSWER_TAG, PROTOCOL_VERSION]), code, requestNonce, challenge);
  return Buffer.concat(answer.challenge ? [code, challenge, tag] : [code, tag]);
}

/** A refusal the remote cannot authenticate (no key yet, or none the peer holds): zeros where the MAC goes. */
export function unauthenticatedAnswer(code: number): Buffer {
  return Buffer.concat([Buffer.from([code]), NO_MAC]);
}

/** Whether an answer read off the wire is the remote's, for the request with this nonce. */
export function answerVerifies(wire: Buffer, secret: Buffer, requestNonce: Buffer): boolean {
  const code = wire[0];
  if (code === undefined || (wire.length !== ANSWER_BYTES && wire.length !== HELLO_ANSWER_BYTES)) return false;
  const challenge = wire.length === HELLO_ANSWER_BYTES ? wire.subarray(1, 1 + CHALLENGE_BYTES) : undefined;
  const expected = encodeAnswer({ code, ...(challenge ? { challenge } : {}) }, secret, requestNonce);
  return timingSafeEqual(expected, wire);
}

/** Secrets by key id; several ids at once let keys rotate without downtime. */
export type KeyLookup = (keyId: number) => Buffer | undefined;

export type DecodeResult = { state: 'need-more' } | { state: 'header'; header: Header; rest: Buffer };

/**
 * Reassembles headers from arbitrary chunks. It checks the cheap bytes (version, type)
 * as soon as they arrive, the MAC once all 58 are there, and only then the fields,
 * so nothing an unauthenticated peer sends is interpreted. Reusable: after a header
 * it starts over (a pooled connection sends a hello, then a connect).
 */
export class HeaderDecoder {
  #pending: Buffer = Buffer.alloc(0);
  #challenge: Buffer = NO_CHALLENGE;

  constructor(private readonly keys: KeyLookup) {}

  /** The next header must carry this challenge in its MAC (after answering a hello). */
  bind(challenge: Buffer): void {
    this.#challenge = challenge;
  }

  /** Throws HeaderError for a header that must be dropped. */
  push(chunk: Buffer): DecodeResult {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const buf = this.#pending;
    const version = buf[OFFSET.version];
    if (version !== undefined && version !== PROTOCOL_VERSION) {
      throw new HeaderError('version', `peer speaks protocol version ${version}, this remote speaks ${PROTOCOL_VERSION}: upgrade mprelay on both sides`, version);
    }
    const type = buf[OFFSET.type];
    if (type !== undefined && type !== TYPE_CODE.connect && type !== TYPE_CODE.hello) throw new HeaderError('type', `unknown header type ${type}`);
    if (buf.length < HEADER_BYTES) return { state: 'need-more' };
    const header = this.#authenticate(buf.subarray(0, HEADER_BYTES));
    const rest = buf.subarray(HEADER_BYTES);
    this.#pending = Buffer.alloc(0);
    return { state: 'header', header, rest };
  }

  #authenticate(buf: Buffer): Header {
    const keyId = buf[OFFSET.keyId] ?? 0;
    const secret = this.keys(keyId);
    if (!secret) throw new HeaderError('unknown-key', `unknown key id ${keyId}`);
    if (!timingSafeEqual(mac(secret, buf.subarray(0, OFFSET.mac), this.#challenge), buf.subarray(OFFSET.mac, HEADER_BYTES))) {
      throw new HeaderError('mac', 'header MAC does not verify');
    }
    return parseFields(buf, keyId);
  }
}

function parseFields(buf: Buffer, keyId: number): Header {
  const timestamp = buf.readBigUInt64BE(OFFSET.timestamp);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw new HeaderError('malformed', 'timestamp out of range');
  const base = { keyId, timestampMs: Number(timestamp), nonce: Buffer.from(buf.subarray(OFFSET.nonce, OFFSET.nonce + NONCE_BYTES)) };
  const family = buf[OFFSET.family];
  const address = buf.subarray(OFFSET.address, OFFSET.port);
  const port = buf.readUInt16BE(OFFSET.port);
  if (buf[OFFSET.type] === TYPE_CODE.hello) {
    if (family !== FAMILY_CODE.none || port !== 0 || address.some((b) => b !== 0)) throw new HeaderError('malformed', 'hello carries a destination');
    return { type: 'hello', ...base };
  }
  if (port === 0) throw new HeaderError('malformed', 'destination port 0');
  if (family === FAMILY_CODE.ipv4) {
    if (address.subarray(4).some((b) => b !== 0)) throw new HeaderError('malformed', 'IPv4 address padding is not zero');
    return { type: 'connect', ...base, destination: { address: ipv4Text(address), port, family: 4 } };
  }
  if (family === FAMILY_CODE.ipv6) return { type: 'connect', ...base, destination: { address: ipv6Text(address), port, family: 6 } };
  throw new HeaderError('malformed', `unknown address family ${family}`);
}
