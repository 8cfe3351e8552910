// The link probes between the two relays (UDP, the remote's listen address and port):
// one request per link every ~100 ms from that link's own address, answered by the
// remote with the same fields. Authenticated with the key (a remote answers nothing
// it cannot verify, so it reflects no one's packets), and as long as its request: no
// amplification. Layout (36 bytes):
//   magic "MPLP" (4) | kind 1 request, 2 answer (1) | key id (1) | link index (1) | 0 (1)
//   | sequence u32 (4) | sent at, ms since the epoch, u64 (8) | 0 (4) | MAC (12)
// MAC: HMAC-SHA256(secret, "mprelay probe" | the first 24 bytes), first 12 bytes.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const PROBE_BYTES = 36;
const MAGIC = Buffer.from('MPLP');
const SIGNED_BYTES = 24;
export const WIRE_MAC_BYTES = PROBE_BYTES - SIGNED_BYTES;
const CONTEXT = Buffer.from('mprelay probe');
const KIND_CODE = { request: 1, answer: 2 } as const;

export type ProbeKind = keyof typeof KIND_CODE;

export interface Probe {
  kind: ProbeKind;
  keyId: number;
  /** Which of the local's links it was sent over (its index in the local's `links`). */
  link: number;
  sequence: number;
  sentAtMs: number;
}

/** HMAC-SHA256(secret, context | signed), its first 12 bytes: the MAC of the probes and the capacity trains (train-wire.ts). */
export function wireMac(secret: Buffer, context: Buffer, signed: Buffer): Buffer {
  return createHmac('sha256', secret).update(context).update(signed).digest().subarray(0, WIRE_MAC_BYTES);
}

const mac = (secret: Buffer, signed: Buffer) => wireMac(secret, CONTEXT, signed);

export function encodeProbe(probe: Probe, secret: Buffer): Buffer {
  const buf = Buffer.alloc(PROBE_BYTES);
  MAGIC.copy(buf, 0);
  buf[4] = KIND_CODE[probe.kind];
  buf[5] = probe.keyId;
  buf[6] = probe.link;
  buf.writeUInt32BE(probe.sequence >>> 0, 8);
  buf.writeBigUInt64BE(BigInt(Math.max(0, Math.round(probe.sentAtMs))), 12);
  mac(secret, buf.subarray(0, SIGNED_BYTES)).copy(buf, SIGNED_BYTES);
  return buf;
}

export type ProbeProblem = 'size' | 'magic' | 'kind' | 'unknown-key' | 'mac';

/** A verified probe, or why the datagram is not one (the caller drops it either way). */
export function decodeProbe(datagram: Buffer, secretOf: (keyId: number) => Buffer | undefined): Probe | ProbeProblem {
  if (datagram.length !== PROBE_BYTES) return 'size';
  if (!datagram.subarray(0, 4).equals(MAGIC)) return 'magic';
  const kind = datagram[4] === KIND_CODE.request ? 'request' : datagram[4] === KIND_CODE.answer ? 'answer' : undefined;
  if (!kind) return 'kind';
  const keyId = datagram[5] ?? 0;
  const secret = secretOf(keyId);
  if (!secret) return 'unknown-key';
  if (!timingSafeEqual(mac(secret, datagram.subarray(0, SIGNED_BYTES)), datagram.subarray(SIGNED_BYTES))) return 'mac';
  return { kind, keyId, link: datagram[6] ?? 0, sequence: datagram.readUInt32BE(8), sentAtMs: Number(datagram.readBigUInt64BE(12)) };
}
