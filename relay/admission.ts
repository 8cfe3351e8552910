// Connections that have not authenticated yet get their own small budget, apart from
// the relayed ones: at most `maxConnections` in all and `perSource` from one source
// (an IPv4 address, or an IPv6 /64, which one household or host usually holds), so
// silent connects without the key cannot lock the locals out.
import net from 'node:net';
import { ipv6Bytes } from './ip.ts';

export interface UnauthenticatedLimits {
  maxConnections: number;
  perSource: number;
}

export type AdmissionVerdict = 'ok' | 'source-limit' | 'total-limit';

/** The key a source is counted under. */
export function sourceKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!net.isIPv6(address)) return address;
  return `${ipv6Bytes(address).subarray(0, 8).toString('hex')}/64`;
}

export class UnauthenticatedBudget {
  readonly #bySource = new Map<string, number>();
  #total = 0;

  constructor(private readonly limits: UnauthenticatedLimits) {}

  get total(): number {
    return this.#total;
  }

  /** Counts the connection in if there is room; 'ok' means the caller must release() it later. */
  admit(source: string): AdmissionVerdict {
    const key = sourceKey(source);
    const held = this.#bySource.get(key) ?? 0;
    if (held >= this.limits.perSource) return 'source-limit';
    if (this.#total >= this.limits.maxConnections) return 'total-limit';
    this.#bySource.set(key, held + 1);
    this.#total++;
    return 'ok';
  }

  release(source: string): void {
    const key = sourceKey(source);
    const held = this.#bySource.get(key) ?? 0;
    if (held <= 1) this.#bySource.delete(key);
    else this.#bySource.set(key, held - 1);
    if (held > 0) this.#total--;
  }
}
