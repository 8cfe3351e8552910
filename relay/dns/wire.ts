// DNS messages at the forwarder's edge (RFC 1035 section 4, EDNS0 RFC 6891): only what
// forwarding needs. A query is checked before it is forwarded (a header, QR clear, one
// question that parses, within the size limit) and its UDP answer limit read (512 or its
// OPT record's size); an answer is checked against its query (QR set, same ID). Answers
// too long for a UDP client are cut to header and question with TC set (RFC 2181 9), so
// the client retries over TCP.

export const HEADER_BYTES = 12;
/** The classic UDP limit without EDNS0 (RFC 1035 4.2.1). */
export const CLASSIC_UDP_BYTES = 512;
/** A query bigger than this is refused: one question with EDNS0 options is a few hundred bytes. */
export const MAX_QUERY_BYTES = 4096;
/** The most a TCP-framed message can hold (RFC 7766's 2-byte length). */
export const MAX_MESSAGE_BYTES = 65535;
/** The largest UDP answer offered, whatever a client's OPT says (DNS flag day 2020's advice is 1232; 4096 is common). */
export const MAX_UDP_ANSWER_BYTES = 4096;

export const RCODE = { noError: 0, formErr: 1, servFail: 2, notImp: 4, refused: 5 } as const;
const TYPE_OPT = 41;
const TYPE_A = 1;
const CLASS_IN = 1;

const QR = 0x8000;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;
const OPCODE_SHIFT = 11;

export interface Header {
  id: number;
  /** The raw 16-bit flags word. */
  flags: number;
  response: boolean;
  opcode: number;
  truncated: boolean;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export function readHeader(message: Buffer): Header | undefined {
  if (message.length < HEADER_BYTES) return undefined;
  const flags = message.readUInt16BE(2);
  return {
    id: message.readUInt16BE(0),
    flags,
    response: (flags & QR) !== 0,
    opcode: (flags >> OPCODE_SHIFT) & 0xf,
    truncated: (flags & TC) !== 0,
    rcode: flags & 0xf,
    qdcount: message.readUInt16BE(4),
    ancount: message.readUInt16BE(6),
    nscount: message.readUInt16BE(8),
    arcount: message.readUInt16BE(10),
  };
}

/** The offset just past the (possibly compressed) name at `offset`, or undefined if it runs off the message or is not a name. */
function skipName(message: Buffer, offset: number): number | undefined {
  for (let at = offset; at < message.length; ) {
    const length = message[at]!;
    if (length === 0) return at + 1;
    // A pointer ends the name where it stands (what it points to was checked where it was written, or is not ours to read).
    if ((length & 0xc0) === 0xc0) return at + 2 <= message.length ? at + 2 : undefined;
    if ((length & 0xc0) !== 0) return undefined; // 0x40 and 0x80 labels are not in use
    at += 1 + length;
  }
  return undefined;
}

/** The offset past a resource record at `offset`, and its type and class, or undefined if it is cut short. */
function readRecord(message: Buffer, offset: number): { end: number; type: number; klass: number; rdataBytes: number } | undefined {
  const nameEnd = skipName(message, offset);
  if (nameEnd === undefined || nameEnd + 10 > message.length) return undefined;
  const rdataBytes = message.readUInt16BE(nameEnd + 8);
  const end = nameEnd + 10 + rdataBytes;
  if (end > message.length) return undefined;
  return { end, type: message.readUInt16BE(nameEnd), klass: message.readUInt16BE(nameEnd + 2), rdataBytes };
}

/** The end of the question section (one question), or undefined if it does not parse. */
function questionEnd(message: Buffer): number | undefined {
  const nameEnd = skipName(message, HEADER_BYTES);
  return nameEnd === undefined || nameEnd + 4 > message.length ? undefined : nameEnd + 4;
}

export type QueryCheck =
  | { ok: true; header: Header; /** The largest UDP answer the client takes. */ udpLimitBytes: number }
  /** With `header`, the ID can be read and an error answered; without, the message is dropped. */
  | { ok: false; problem: 'short' | 'oversized' | 'is-response' | 'bad-opcode' | 'question-count' | 'malformed'; header?: Header };

/** Checks a query from a client. */
export function checkQuery(message: Buffer): QueryCheck {
  const header = readHeader(message);
  if (!header) return { ok: false, problem: 'short' };
  // A response sent to the forwarder is never answered: answering it could loop two resolvers into each other.
  if (header.response) return { ok: false, problem: 'is-response' };
  if (message.length > MAX_QUERY_BYTES) return { ok: false, problem: 'oversized', header };
  if (header.opcode !== 0) return { ok: false, problem: 'bad-opcode', header };
  if (header.qdcount !== 1) return { ok: false, problem: 'question-count', header };
  let offset = questionEnd(message);
  let udpLimitBytes = CLASSIC_UDP_BYTES;
  const records = header.ancount + header.nscount + header.arcount;
  for (let i = 0; i < records && offset !== undefined; i++) {
    const record = readRecord(message, offset);
    // An OPT record's class is the client's UDP payload size (RFC 6891 6.1.2); below 512 means 512.
    if (record?.type === TYPE_OPT) udpLimitBytes = Math.min(MAX_UDP_ANSWER_BYTES, Math.max(CLASSIC_UDP_BYTES, record.klass));
    offset = record?.end;
  }
  if (offset !== message.length) return { ok: false, problem: 'malformed', header };
  return { ok: true, header, udpLimitBytes };
}

export type AnswerCheck = { ok: true; header: Header } | { ok: false; problem: 'short' | 'oversized' | 'not-response' | 'wrong-id' };

/** Checks a resolver's answer to the query whose ID is `queryId`. */
export function checkAnswer(message: Buffer, queryId: number): AnswerCheck {
  const header = readHeader(message);
  if (!header) return { ok: false, problem: 'short' };
  if (message.length > MAX_MESSAGE_BYTES) return { ok: false, problem: 'oversized' };
  if (!header.response) return { ok: false, problem: 'not-response' };
  if (header.id !== queryId) return { ok: false, problem: 'wrong-id' };
  return { ok: true, header };
}

/** A header and the question section of `query` (when it parses), as an answer with `rcode` and no records. */
export function errorAnswer(query: Buffer, rcode: number): Buffer {
  const header = readHeader(query);
  if (!header) throw new Error('a DNS message shorter than its header cannot be answered');
  const end = header.qdcount === 1 ? questionEnd(query) : undefined;
  const answer = Buffer.alloc(end ?? HEADER_BYTES);
  query.copy(answer, 0, 0, answer.length);
  // The query's opcode and RD come back; QR and RA set; everything else clear.
  answer.writeUInt16BE(QR | (header.flags & (0xf << OPCODE_SHIFT)) | (header.flags & RD) | RA | rcode, 2);
  answer.writeUInt16BE(end === undefined ? 0 : 1, 4);
  answer.fill(0, 6, HEADER_BYTES);
  return answer;
}

/**
 * The answer as a UDP client with this limit may get it: unchanged if it fits, else its
 * header (TC set, record counts zero) and question section only.
 */
export function fitForUdp(answer: Buffer, limitBytes: number): { message: Buffer; truncated: boolean } {
  if (answer.length <= limitBytes) return { message: answer, truncated: false };
  const header = readHeader(answer)!;
  const end = header.qdcount === 1 ? questionEnd(answer) : undefined;
  const cut = Buffer.alloc(end !== undefined && end <= limitBytes ? end : HEADER_BYTES);
  answer.copy(cut, 0, 0, cut.length);
  cut.writeUInt16BE(header.flags | TC, 2);
  cut.writeUInt16BE(cut.length > HEADER_BYTES ? 1 : 0, 4);
  cut.fill(0, 6, HEADER_BYTES);
  return { message: cut, truncated: true };
}

/** A recursive query for `name`'s A record, as a stub resolver sends it (no EDNS0 unless `udpSizeBytes`). */
export function encodeQuery(name: string, id: number, options: { type?: number; udpSizeBytes?: number } = {}): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((label) => label.length > 0);
  if (labels.some((label) => Buffer.byteLength(label) > 63)) throw new Error(`a DNS label is at most 63 bytes: ${name}`);
  const qname = Buffer.concat([...labels.map((label) => Buffer.concat([Buffer.from([Buffer.byteLength(label)]), Buffer.from(label)])), Buffer.from([0])]);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(RD, 2);
  header.writeUInt16BE(1, 4);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(options.type ?? TYPE_A, 0);
  question.writeUInt16BE(CLASS_IN, 2);
  if (options.udpSizeBytes === undefined) return Buffer.concat([header, qname, question]);
  header.writeUInt16BE(1, 10);
  // OPT: root name, type 41, class = UDP size, TTL 0 (extended rcode, version, flags), no options.
  const opt = Buffer.alloc(11);
  opt.writeUInt16BE(TYPE_OPT, 1);
  opt.writeUInt16BE(options.udpSizeBytes, 3);
  return Buffer.concat([header, qname, question, opt]);
}

/** The IPv4 addresses of the answer section's A records (IN class), in order. */
export function answerAddresses(answer: Buffer): string[] {
  const header = readHeader(answer);
  let offset = header && header.qdcount === 1 ? questionEnd(answer) : undefined;
  const addresses: string[] = [];
  for (let i = 0; i < (header?.ancount ?? 0) && offset !== undefined; i++) {
    const record = readRecord(answer, offset);
    if (record?.type === TYPE_A && record.klass === CLASS_IN && record.rdataBytes === 4) addresses.push([...answer.subarray(record.end - 4, record.end)].join('.'));
    offset = record?.end;
  }
  return addresses;
}

/** RFC 7766 framing: the 2-byte length, then the message. */
export function frame(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length, 0);
  return Buffer.concat([length, message]);
}
