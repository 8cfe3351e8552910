// Name lookups as a home's stub resolver makes them: one A query over UDP to the
// resolver the client is configured with, sent again every retransmitMs (as glibc's
// `options timeout:N`) until a valid answer or timeoutMs. An answer counts when it is
// the response to this query (same ID), NOERROR, not truncated, and names the expected
// address. Each lookup has its own socket (its own source port), as each process has.
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { answerAddresses, encodeQuery, readHeader } from '../../../relay/dns/wire.ts';
import { monotonicMs, sleepUntil } from './clock.ts';

export interface LookupParams {
  resolver: { host: string; port: number };
  name: string;
  /** The A record the answer must carry. */
  address: string;
  intervalMs: number;
  retransmitMs: number;
  timeoutMs: number;
}

export interface LookupRecord {
  startMs: number;
  /** A valid answer arrived (shared clock); null when none did within the timeout. */
  answerMs: number | null;
  /** Queries sent (1 + retransmissions). */
  sent: number;
  /** Null when answered; else `timeout` or what was wrong with the last answer. */
  error: string | null;
}

/** What is wrong with `message` as the answer to query `id` (undefined: it is good). */
function answerProblem(message: Buffer, id: number, expected: string): string | undefined {
  const header = readHeader(message);
  if (!header || !header.response || header.id !== id) return 'not an answer to this query';
  if (header.truncated) return 'truncated';
  if (header.rcode !== 0) return `rcode ${header.rcode}`;
  const addresses = answerAddresses(message);
  return addresses.includes(expected) ? undefined : `answer names ${addresses.join(', ') || 'no address'}`;
}

export function lookupOnce(params: LookupParams): Promise<LookupRecord> {
  const id = randomInt(0x10000);
  const query = encodeQuery(params.name, id);
  const record: LookupRecord = { startMs: monotonicMs(), answerMs: null, sent: 0, error: null };
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    let lastProblem: string | undefined;
    const send = () => {
      record.sent++;
      socket.send(query, params.resolver.port, params.resolver.host);
    };
    const finish = () => {
      clearInterval(retransmit);
      clearTimeout(timeout);
      socket.close();
      resolve(record);
    };
    socket.on('message', (message) => {
      lastProblem = answerProblem(message, id, params.address);
      if (lastProblem !== undefined) return;
      record.answerMs = monotonicMs();
      finish();
    });
    // ICMP errors (port unreachable while a resolver restarts) show up here: the next retransmission may still get through.
    socket.on('error', (error) => (lastProblem = error.message));
    const retransmit = setInterval(send, params.retransmitMs);
    const timeout = setTimeout(() => {
      record.error = lastProblem ? `timeout (last: ${lastProblem})` : 'timeout';
      finish();
    }, params.timeoutMs);
    send();
  });
}

/** A lookup at firstMs + k*intervalMs for every k whose start satisfies `more`, not waiting for each other. */
export async function lookupsEvery(params: LookupParams, firstMs: number, more: (atMs: number) => boolean): Promise<LookupRecord[]> {
  const lookups: Promise<LookupRecord>[] = [];
  for (let atMs = firstMs; more(atMs); atMs += params.intervalMs) {
    await sleepUntil(atMs);
    lookups.push(lookupOnce(params));
  }
  return Promise.all(lookups);
}
