// A minimal generic-netlink client, made through libc with koffi as relay/sockets.ts does:
// one request at a time, answered before send() returns (the kernel runs a genetlink
// command inside the sending call), with extended acks so that a refusal carries the
// kernel's own reason. Families such as mptcp_pm are commanded this way.
import koffi from 'koffi';
import { checkCall, errnoName, setIntOption } from './sockets.ts';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_GENERIC = 16;
const SOL_NETLINK = 270;
/** Acks echo only the request's header, not the whole request. */
const NETLINK_CAP_ACK = 10;
/** Acks carry TLVs after the echoed request, among them the kernel's message. */
const NETLINK_EXT_ACK = 11;
const MSG_DONTWAIT = 0x40;
const NLMSG_ERROR = 2;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
/** On an ack: the echoed request is its header only (NETLINK_CAP_ACK). */
const NLM_F_CAPPED = 0x100;
/** On an ack: TLVs follow the echoed request (NETLINK_EXT_ACK). */
const NLM_F_ACK_TLVS = 0x200;
const NLMSGERR_ATTR_MSG = 1;
const NLA_F_NESTED = 0x8000;
/** An attribute's type without the nested and byte-order flags. */
const NLA_TYPE_MASK = 0x3fff;
const GENL_ID_CTRL = 0x10;
const CTRL_VERSION = 2;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;
const CTRL_ATTR_VERSION = 3;
const NLMSG_HEADER_BYTES = 16;
const GENL_HEADER_BYTES = 4;
const NLA_HEADER_BYTES = 4;
/** struct nlmsgerr starts with the int error, then the echoed request. */
const NLMSGERR_ERROR_BYTES = 4;
/** Room for one datagram from the kernel: a family's description is the largest answer read here. */
const RECEIVE_BUFFER_BYTES = 64 * 1024;

const libc = koffi.load('libc.so.6');
const c = {
  socket: libc.func('int socket(int, int, int)'),
  send: libc.func('long send(int, void *, size_t, int)'),
  recv: libc.func('long recv(int, _Out_ void *, size_t, int)'),
  close: libc.func('int close(int)'),
};

/** A command the kernel refused: errno by name (code 'EINVAL', ...) and, when it gave one, its reason. */
export class NetlinkError extends Error {
  constructor(
    readonly command: string,
    readonly code: string,
    readonly kernelMessage: string | undefined,
  ) {
    super(`${command} failed: ${code}${kernelMessage === undefined ? '' : ` (${kernelMessage})`}`);
    this.name = 'NetlinkError';
  }
}

/** One encoded netlink attribute: header, payload, padding to 4 bytes. */
export type Attribute = Buffer;

/** An answer's attributes by type (payloads only); nested ones parse again with the same shape. */
export type Attributes = Map<number, Buffer>;

const align4 = (bytes: number) => (bytes + 3) & ~3;

export function binaryAttribute(type: number, payload: Uint8Array): Attribute {
  const length = NLA_HEADER_BYTES + payload.length;
  const attribute = Buffer.alloc(align4(length));
  attribute.writeUInt16LE(length, 0);
  attribute.writeUInt16LE(type, 2);
  attribute.set(payload, NLA_HEADER_BYTES);
  return attribute;
}

export function u8Attribute(type: number, value: number): Attribute {
  return binaryAttribute(type, Buffer.of(value));
}

/** A u16 in host order (little-endian here, as the netlink headers are). */
export function u16Attribute(type: number, value: number): Attribute {
  const payload = Buffer.alloc(2);
  payload.writeUInt16LE(value);
  return binaryAttribute(type, payload);
}

export function u32Attribute(type: number, value: number): Attribute {
  const payload = Buffer.alloc(4);
  payload.writeUInt32LE(value);
  return binaryAttribute(type, payload);
}

export function nestedAttribute(type: number, attributes: readonly Attribute[]): Attribute {
  return binaryAttribute(type | NLA_F_NESTED, Buffer.concat(attributes));
}

function stringAttribute(type: number, text: string): Attribute {
  return binaryAttribute(type, Buffer.from(`${text}\0`));
}

function parseAttributes(bytes: Buffer): Attributes {
  const attributes: Attributes = new Map();
  for (let at = 0; at + NLA_HEADER_BYTES <= bytes.length; ) {
    const length = bytes.readUInt16LE(at);
    if (length < NLA_HEADER_BYTES || at + length > bytes.length) break;
    attributes.set(bytes.readUInt16LE(at + 2) & NLA_TYPE_MASK, bytes.subarray(at + NLA_HEADER_BYTES, at + length));
    at += align4(length);
  }
  return attributes;
}

/** The text of NLMSGERR_ATTR_MSG in an error message's TLVs, if the kernel set one. */
function kernelMessageOf(error: Buffer, flags: number): string | undefined {
  if (!(flags & NLM_F_ACK_TLVS)) return undefined;
  const echoedAt = NLMSG_HEADER_BYTES + NLMSGERR_ERROR_BYTES;
  const echoedBytes = flags & NLM_F_CAPPED ? NLMSG_HEADER_BYTES : align4(error.readUInt32LE(echoedAt));
  const text = parseAttributes(error.subarray(echoedAt + echoedBytes)).get(NLMSGERR_ATTR_MSG);
  if (text === undefined) return undefined;
  const end = text.indexOf(0);
  return text.toString('utf8', 0, end < 0 ? text.length : end);
}

interface Command {
  familyId: number;
  version: number;
  command: number;
  /** The command's name, for errors. */
  name: string;
}

/**
 * Sends one request on `fd` and reads its answer: the attributes of each reply before
 * the ack (none for a command that only acts), or the kernel's refusal thrown. The
 * answer is already queued when send() returns, so an empty socket (EAGAIN) is an error.
 */
function exchange(fd: number, seq: number, command: Command, attributes: readonly Attribute[]): Attributes[] {
  const body = Buffer.concat([Buffer.of(command.command, command.version, 0, 0), ...attributes]);
  const header = Buffer.alloc(NLMSG_HEADER_BYTES);
  header.writeUInt32LE(NLMSG_HEADER_BYTES + body.length, 0);
  header.writeUInt16LE(command.familyId, 4);
  header.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK, 6);
  header.writeUInt32LE(seq, 8);
  const request = Buffer.concat([header, body]);
  checkCall('send(netlink)', Number(c.send(fd, request, request.length, 0)));
  const replies: Attributes[] = [];
  const datagram = Buffer.alloc(RECEIVE_BUFFER_BYTES);
  for (;;) {
    const received = checkCall('recv(netlink)', Number(c.recv(fd, datagram, datagram.length, MSG_DONTWAIT)));
    for (let at = 0; at + NLMSG_HEADER_BYTES <= received; ) {
      const length = datagram.readUInt32LE(at);
      if (length < NLMSG_HEADER_BYTES || at + length > received) break;
      const message = datagram.subarray(at, at + length);
      at += align4(length);
      // Another sequence number is a late answer to an earlier request that failed.
      if (message.readUInt32LE(8) !== seq) continue;
      if (message.readUInt16LE(4) !== NLMSG_ERROR) {
        replies.push(parseAttributes(Buffer.from(message.subarray(NLMSG_HEADER_BYTES + GENL_HEADER_BYTES))));
        continue;
      }
      const errno = -message.readInt32LE(NLMSG_HEADER_BYTES);
      if (errno === 0) return replies;
      throw new NetlinkError(command.name, errnoName(errno), kernelMessageOf(message, message.readUInt16LE(6)));
    }
  }
}

/**
 * A generic-netlink socket speaking to one family, at the version the kernel reports for
 * it, in the network namespace of the thread that opened it.
 */
export class GenericNetlink {
  #fd: number;
  #seq = 0;
  readonly #commandNames: Readonly<Record<number, string>>;

  private constructor(
    fd: number,
    readonly familyId: number,
    readonly version: number,
    commandNames: Readonly<Record<number, string>>,
  ) {
    this.#fd = fd;
    this.#commandNames = commandNames;
  }

  /** Resolves `familyName` (ENOENT when the kernel has no such family, EINVAL past 15 bytes); `commandNames` name commands in errors. */
  static open(familyName: string, commandNames: Readonly<Record<number, string>> = {}): GenericNetlink {
    const fd = checkCall('socket(AF_NETLINK)', c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC));
    try {
      for (const option of [NETLINK_EXT_ACK, NETLINK_CAP_ACK]) setIntOption(fd, SOL_NETLINK, option, 1, 'setsockopt(SOL_NETLINK)');
      const getFamily = { familyId: GENL_ID_CTRL, version: CTRL_VERSION, command: CTRL_CMD_GETFAMILY, name: `CTRL_CMD_GETFAMILY ${familyName}` };
      const [family] = exchange(fd, 0, getFamily, [stringAttribute(CTRL_ATTR_FAMILY_NAME, familyName)]);
      const id = family?.get(CTRL_ATTR_FAMILY_ID);
      const version = family?.get(CTRL_ATTR_VERSION);
      if (id === undefined || version === undefined) throw new Error(`generic netlink family ${familyName}: the kernel's answer has no id or version`);
      return new GenericNetlink(fd, id.readUInt16LE(0), version.readUInt32LE(0), commandNames);
    } catch (error) {
      c.close(fd);
      throw error;
    }
  }

  /** One command with NLM_F_REQUEST|NLM_F_ACK: the attributes of its replies, or a NetlinkError. */
  request(command: number, attributes: readonly Attribute[]): Attributes[] {
    if (this.#fd < 0) throw new Error('generic netlink socket is closed');
    const name = this.#commandNames[command] ?? `command ${command}`;
    this.#seq = (this.#seq + 1) >>> 0;
    return exchange(this.#fd, this.#seq, { familyId: this.familyId, version: this.version, command, name }, attributes);
  }

  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    checkCall('close', c.close(fd));
  }
}
