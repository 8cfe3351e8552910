// One DNS query from a LAN client, from its bytes to the bytes sent back: checked at the
// edge, forwarded, failures turned into SERVFAIL, UDP answers fitted to the client's
// limit, each counted and timed by transport and result. Problems are logged once per
// source and kind per minute (a broken or hostile client cannot flood the log).
import type { Logger } from '../log.ts';
import { LogThrottle } from '../log.ts';
import type { RelayMetrics } from '../metrics.ts';
import type { Destination } from '../protocol.ts';
import { forwardQuery, type ForwarderOptions } from './forwarder.ts';
import { checkQuery, errorAnswer, fitForUdp, RCODE } from './wire.ts';

export type Transport = 'udp' | 'tcp';
export type QueryResult = 'ok' | 'truncated' | 'servfail' | 'refused' | 'dropped';

/** The bytes to send back (none: dropped) and the result they are counted under. */
interface Answered {
  message?: Buffer;
  result: QueryResult;
}

export interface QueriesOptions {
  forwarder: ForwarderOptions;
  maxInFlight: number;
  metrics: RelayMetrics;
  log: Logger;
}

const LOG_PERIOD_MS = 60_000;

export class DnsQueries {
  readonly #options: QueriesOptions;
  readonly #throttle = new LogThrottle(LOG_PERIOD_MS);
  #inFlight = 0;

  constructor(options: QueriesOptions) {
    this.#options = options;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** The bytes to send back for `query` (undefined: nothing, the message is dropped). */
  async answer(query: Buffer, transport: Transport, source: string, resolver: Destination): Promise<Buffer | undefined> {
    const startedMs = performance.now();
    // Whatever goes wrong inside one query is counted and logged, and drops that query only.
    const { message, result } = await this.#answer(query, transport, source, resolver).catch((error: unknown): Answered => {
      this.#options.metrics.errors.inc({ kind: 'internal' });
      this.#options.log.error('DNS query failed inside the forwarder', { source, transport, error });
      return { result: 'dropped' };
    });
    const labels = { transport, result };
    this.#options.metrics.dnsQueries.inc(labels);
    this.#options.metrics.dnsSeconds.observe(labels, (performance.now() - startedMs) / 1000);
    return message;
  }

  async #answer(query: Buffer, transport: Transport, source: string, resolver: Destination): Promise<Answered> {
    const checked = checkQuery(query);
    if (!checked.ok) {
      this.#warn('DNS query refused', source, checked.problem, { transport, bytes: query.length });
      if (!checked.header) return { result: 'dropped' };
      return { message: errorAnswer(query, checked.problem === 'bad-opcode' ? RCODE.notImp : RCODE.formErr), result: 'refused' };
    }
    if (this.#inFlight >= this.#options.maxInFlight) {
      this.#warn('DNS forwarder busy: query answered SERVFAIL', source, 'busy', { transport, inFlight: this.#inFlight });
      return { message: errorAnswer(query, RCODE.servFail), result: 'servfail' };
    }
    this.#inFlight++;
    const outcome = await forwardQuery(this.#options.forwarder, query, resolver).finally(() => this.#inFlight--);
    if (outcome.kind === 'failed') {
      this.#warn('DNS query not answered by the resolver: SERVFAIL', source, outcome.why, { transport, resolver: resolver.address, attempts: outcome.attempts });
      return { message: errorAnswer(query, RCODE.servFail), result: 'servfail' };
    }
    if (transport === 'tcp') return { message: outcome.answer, result: 'ok' };
    const fitted = fitForUdp(outcome.answer, checked.udpLimitBytes);
    return { message: fitted.message, result: fitted.truncated ? 'truncated' : 'ok' };
  }

  #warn(msg: string, source: string, problem: string, fields: Record<string, unknown>): void {
    const suppressed = this.#throttle.admit(`${source} ${problem}`);
    if (suppressed !== undefined) this.#options.log.warn(msg, { source, problem, ...fields, ...(suppressed > 0 ? { suppressed } : {}) });
  }
}
