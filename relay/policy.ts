// Which destinations the remote connects to. It sits on the public internet, so by
// default it refuses everything that is not the public internet (loopback, private,
// link-local, multicast, reserved) and its own addresses, unless the config allows it.
import net from 'node:net';
import os from 'node:os';

export type RefusalReason = 'unspecified' | 'loopback' | 'private' | 'link-local' | 'multicast' | 'reserved' | 'own-address';

const RANGES: Array<[RefusalReason, string, number, 'ipv4' | 'ipv6']> = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private', '100.64.0.0', 10, 'ipv4'], // carrier-grade NAT (RFC 6598)
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'], // IETF protocol assignments
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'], // benchmarking
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'], // includes 255.255.255.255
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  ['private', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
];

function cidrList(cidrs: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const cidr of cidrs) {
    const [address = '', prefix = ''] = cidr.split('/');
    const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/** Every address on this host's interfaces (the remote must not relay to itself). */
export function hostAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

export class DestinationPolicy {
  readonly #allowed: net.BlockList;
  readonly #refused = new Map<RefusalReason, net.BlockList>();
  #own: Set<string>;
  #ownReadAtMs = 0;

  /**
   * @param allow CIDRs let through despite the default refusals.
   * @param ownAddresses read again at most every `ownRefreshMs`, as interfaces come and go.
   */
  constructor(
    allow: readonly string[],
    private readonly ownAddresses: () => readonly string[] = hostAddresses,
    private readonly ownRefreshMs = 30_000,
  ) {
    this.#allowed = cidrList(allow);
    for (const [reason, address, prefix, type] of RANGES) {
      const list = this.#refused.get(reason) ?? new net.BlockList();
      list.addSubnet(address, prefix, type);
      this.#refused.set(reason, list);
    }
    this.#own = new Set();
  }

  /** undefined when the destination may be connected to, else why not. */
  check(address: string): RefusalReason | undefined {
    const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (this.#allowed.check(address, type)) return undefined;
    for (const [reason, list] of this.#refused) if (list.check(address, type)) return reason;
    if (this.#ownSet().has(canonical(address))) return 'own-address';
    return undefined;
  }

  #ownSet(): Set<string> {
    const nowMs = Date.now();
    if (nowMs - this.#ownReadAtMs >= this.ownRefreshMs) {
      this.#own = new Set(this.ownAddresses().map(canonical));
      this.#ownReadAtMs = nowMs;
    }
    return this.#own;
  }
}

/** One spelling per address; an IPv4-mapped IPv6 address is its IPv4 address. */
function canonical(address: string): string {
  if (!net.isIPv6(address)) return address;
  const text = new net.SocketAddress({ address, family: 'ipv6' }).address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  return mapped?.[1] ?? text;
}
