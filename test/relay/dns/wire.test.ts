// DNS messages at the forwarder's edge: queries checked, answers fitted to a UDP
// client's limit (truncated with TC), error answers, framing.
import test from 'ava';
import { FrameReader } from '../../../relay/dns/framing.ts';
import { answerAddresses, checkAnswer, checkQuery, CLASSIC_UDP_BYTES, encodeQuery, errorAnswer, fitForUdp, frame, MAX_QUERY_BYTES, RCODE, readHeader } from '../../../relay/dns/wire.ts';

/** An answer to `query` with `count` A records (each 16 bytes, the name a pointer to the question's). */
function answerWith(query: Buffer, count: number): Buffer {
  const answer = Buffer.from(query);
  answer.writeUInt16BE(0x8180, 2); // QR, RD, RA
  answer.writeUInt16BE(count, 6);
  const records = Array.from({ length: count }, (_, i) => Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, i >> 8, i & 0xff]));
  return Buffer.concat([answer, ...records]);
}

test('a stub query checks out; without EDNS0 its UDP limit is 512, with it the OPT size (within 512..4096)', (t) => {
  const plain = checkQuery(encodeQuery('www.example.test', 0x1234));
  t.like(plain, { ok: true, udpLimitBytes: CLASSIC_UDP_BYTES, header: { id: 0x1234, response: false, qdcount: 1, arcount: 0 } });
  t.like(checkQuery(encodeQuery('www.example.test', 1, { udpSizeBytes: 1232 })), { ok: true, udpLimitBytes: 1232 });
  t.like(checkQuery(encodeQuery('www.example.test', 1, { udpSizeBytes: 100 })), { ok: true, udpLimitBytes: 512 });
  t.like(checkQuery(encodeQuery('www.example.test', 1, { udpSizeBytes: 65535 })), { ok: true, udpLimitBytes: 4096 });
});

test('garbled and unsupported queries are refused with the reason; only a readable ID can be answered', (t) => {
  const query = encodeQuery('www.example.test', 7);
  t.deepEqual(checkQuery(Buffer.from([1, 2, 3])), { ok: false, problem: 'short' });
  t.deepEqual(checkQuery(answerWith(query, 1)), { ok: false, problem: 'is-response' });
  const big = Buffer.concat([query, Buffer.alloc(MAX_QUERY_BYTES)]);
  t.like(checkQuery(big), { ok: false, problem: 'oversized', header: { id: 7 } });
  const notify = Buffer.from(query);
  notify.writeUInt16BE(4 << 11, 2);
  t.like(checkQuery(notify), { ok: false, problem: 'bad-opcode' });
  const two = Buffer.from(query);
  two.writeUInt16BE(2, 4);
  t.like(checkQuery(two), { ok: false, problem: 'question-count' });
  t.like(checkQuery(query.subarray(0, query.length - 2)), { ok: false, problem: 'malformed' }, 'question cut short');
  t.like(checkQuery(Buffer.concat([query, Buffer.from([0])])), { ok: false, problem: 'malformed' }, 'bytes after the last record');
  const claimsRecord = Buffer.from(query);
  claimsRecord.writeUInt16BE(1, 10);
  t.like(checkQuery(claimsRecord), { ok: false, problem: 'malformed' }, 'a counted record that is not there');
  const badLabel = Buffer.from(query);
  badLabel[12] = 0x80;
  t.like(checkQuery(badLabel), { ok: false, problem: 'malformed' }, 'a label type not in use');
});

test('an answer must be a response with the query ID', (t) => {
  const query = encodeQuery('a.test', 42);
  t.like(checkAnswer(answerWith(query, 1), 42), { ok: true, header: { ancount: 1 } });
  t.deepEqual(checkAnswer(answerWith(query, 1), 43), { ok: false, problem: 'wrong-id' });
  t.deepEqual(checkAnswer(query, 42), { ok: false, problem: 'not-response' });
  t.deepEqual(checkAnswer(Buffer.alloc(11), 42), { ok: false, problem: 'short' });
  t.deepEqual(answerAddresses(answerWith(query, 2)), ['10.0.0.0', '10.0.0.1']);
});

test('an answer that fits the UDP limit is sent as it is', (t) => {
  const answer = answerWith(encodeQuery('a.test', 5), 3);
  t.deepEqual(fitForUdp(answer, CLASSIC_UDP_BYTES), { message: answer, truncated: false });
});

test('a truncated answer: header with TC and the question only, counts zeroed, ID and rcode kept', (t) => {
  const query = encodeQuery('www.example.test', 9);
  const answer = answerWith(query, 40); // 34 + 40 * 16 = 674 bytes
  t.true(answer.length > CLASSIC_UDP_BYTES);
  const { message, truncated } = fitForUdp(answer, CLASSIC_UDP_BYTES);
  t.true(truncated);
  t.is(message.length, query.length);
  t.like(readHeader(message), { id: 9, response: true, truncated: true, rcode: RCODE.noError, qdcount: 1, ancount: 0, nscount: 0, arcount: 0 });
  t.deepEqual(message.subarray(12), query.subarray(12), 'the question comes back');
  t.like(checkAnswer(message, 9), { ok: true });
  // The same answer fits a client that said 1232 with EDNS0.
  t.false(fitForUdp(answer, 1232).truncated);
});

test('an oversized answer whose question alone is over the limit is cut to its header', (t) => {
  const query = encodeQuery(`${'a'.repeat(63)}.${'b'.repeat(63)}.test`, 3);
  const answer = answerWith(query, 30);
  const { message } = fitForUdp(answer, 100);
  t.is(message.length, 12);
  t.like(readHeader(message), { id: 3, truncated: true, qdcount: 0 });
});

test('error answers carry the ID, the question, RD, and the rcode', (t) => {
  const query = encodeQuery('www.example.test', 0xbeef);
  const servfail = errorAnswer(query, RCODE.servFail);
  t.like(readHeader(servfail), { id: 0xbeef, response: true, rcode: RCODE.servFail, qdcount: 1, ancount: 0, arcount: 0 });
  t.is(servfail.readUInt16BE(2) & 0x0100, 0x0100, 'RD echoed');
  t.deepEqual(servfail.subarray(12), query.subarray(12));
  const two = Buffer.from(query);
  two.writeUInt16BE(2, 4);
  t.like(readHeader(errorAnswer(two, RCODE.formErr)), { id: 0xbeef, rcode: RCODE.formErr, qdcount: 0 });
  t.throws(() => errorAnswer(Buffer.alloc(4), RCODE.formErr), { message: 'a DNS message shorter than its header cannot be answered' });
});

test('framing: messages split across chunks or several in one come out whole; a zero or too-long length is refused', (t) => {
  const a = encodeQuery('a.test', 1);
  const b = encodeQuery('b.test', 2);
  const reader = new FrameReader(512);
  const stream = Buffer.concat([frame(a), frame(b)]);
  t.deepEqual(reader.push(stream.subarray(0, 1)), []);
  t.deepEqual(reader.push(stream.subarray(1, 10)), []);
  t.deepEqual(reader.push(stream.subarray(10)), [
    { kind: 'message', message: a },
    { kind: 'message', message: b },
  ]);
  t.is(reader.pendingBytes, 0);
  t.deepEqual(new FrameReader(512).push(Buffer.from([0x02, 0x01, 0])), [{ kind: 'bad-length', lengthBytes: 513 }]);
  t.deepEqual(new FrameReader(512).push(Buffer.from([0, 0])), [{ kind: 'bad-length', lengthBytes: 0 }]);
  t.throws(() => encodeQuery(`${'x'.repeat(64)}.test`, 1), { message: /at most 63 bytes/ });
});
