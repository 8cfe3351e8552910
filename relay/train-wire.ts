// The capacity trains between the two relays (UDP, the same port as the link probes): a
// few full-size datagrams sent back to back over one link, whose spread on arrival is
// what that link's bottleneck took to pass them (packet dispersion). The local sends a
// train up; the remote times its arrival and sends as many datagrams as it received back
// down, back to back, each carrying the up figure; the local times those. Authenticated
// like the probes, and a train down is never larger than the train up that asked for it:
// no amplification. Layout (TRAIN_BYTES, zero padded):
//   magic "MPLT" (4) | kind 1 up, 2 down (1) | key id (1) | link index (1) | datagrams in
//   the train (1) | train id u32 (4) | index in the train (1) | 0 (3) | sent at, ms since
//   the epoch, u64 (8) | up spread, us, u32 (4) | up bytes after the first, u32 (4) | 0 ...
//   | MAC (12)
// MAC: HMAC-SHA256(secret, "mprelay train" | every byte before it), first 12 bytes.
import { timingSafeEqual } from 'node:crypto';
import { WIRE_MAC_BYTES, wireMac } from './probe-wire.ts';

/** A full-size datagram on a 1500-byte path with room for IPv6 and tunnel headers: dispersion is measured on large packets. */
export const TRAIN_BYTES = 1200;
const MAGIC = Buffer.from('MPLT');
const SIGNED_BYTES = TRAIN_BYTES - WIRE_MAC_BYTES;
const CONTEXT = Buffer.from('mprelay train');
const KIND_CODE = { up: 1, down: 2 } as const;

export type TrainKind = keyof typeof KIND_CODE;

export interface TrainDatagram {
  kind: TrainKind;
  keyId: number;
  /** Which of the local's links the train went over (its index in the local's `links`). */
  link: number;
  /** How many datagrams the train has (1-255). */
  count: number;
  trainId: number;
  /** This datagram's place in the train, from 0. */
  index: number;
  sentAtMs: number;
  /** In a train down: how the remote saw the train up (0 in a train up). */
  upSpreadUs: number;
  upBytes: number;
}

const mac = (secret: Buffer, signed: Buffer) => wireMac(secret, CONTEXT, signed);

export function encodeTrainDatagram(datagram: TrainDatagram, secret: Buffer): Buffer {
  const buf = Buffer.alloc(TRAIN_BYTES);
  MAGIC.copy(buf, 0);
  buf[4] = KIND_CODE[datagram.kind];
  buf[5] = datagram.keyId;
  buf[6] = datagram.link;
  buf[7] = datagram.count;
  buf.writeUInt32BE(datagram.trainId >>> 0, 8);
  buf[12] = datagram.index;
  buf.writeBigUInt64BE(BigInt(Math.max(0, Math.round(datagram.sentAtMs))), 16);
  buf.writeUInt32BE(Math.min(0xffffffff, Math.max(0, Math.round(datagram.upSpreadUs))), 24);
  buf.writeUInt32BE(Math.min(0xffffffff, Math.max(0, Math.round(datagram.upBytes))), 28);
  mac(secret, buf.subarray(0, SIGNED_BYTES)).copy(buf, SIGNED_BYTES);
  return buf;
}

export type TrainProblem = 'size' | 'magic' | 'kind' | 'count' | 'unknown-key' | 'mac';

/** Whether a datagram on the probe port is meant as a train datagram (by its size), to be decoded here rather than as a probe. */
export const isTrainSized = (datagram: Buffer): boolean => datagram.length === TRAIN_BYTES;

/** A verified train datagram, or why the datagram is not one (the caller drops it either way). */
export function decodeTrainDatagram(datagram: Buffer, secretOf: (keyId: number) => Buffer | undefined): TrainDatagram | TrainProblem {
  if (datagram.length !== TRAIN_BYTES) return 'size';
  if (!datagram.subarray(0, 4).equals(MAGIC)) return 'magic';
  const kind = datagram[4] === KIND_CODE.up ? 'up' : datagram[4] === KIND_CODE.down ? 'down' : undefined;
  if (!kind) return 'kind';
  const count = datagram[7] ?? 0;
  const index = datagram[12] ?? 0;
  if (count === 0 || index >= count) return 'count';
  const keyId = datagram[5] ?? 0;
  const secret = secretOf(keyId);
  if (!secret) return 'unknown-key';
  if (!timingSafeEqual(mac(secret, datagram.subarray(0, SIGNED_BYTES)), datagram.subarray(SIGNED_BYTES))) return 'mac';
  return {
    kind,
    keyId,
    link: datagram[6] ?? 0,
    count,
    trainId: datagram.readUInt32BE(8),
    index,
    sentAtMs: Number(datagram.readBigUInt64BE(16)),
    upSpreadUs: datagram.readUInt32BE(24),
    upBytes: datagram.readUInt32BE(28),
  };
}
