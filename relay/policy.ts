// Which destinations the remote connects to. It sits on the public internet, so by
// default it refuses everything that is not the public internet (loopback, private,
// link-local, multicast, reserved) and its own addresses, unless the config allows it;
// an IPv6 address that carries an IPv4 one (NAT64, 6to4, Teredo...) is judged by both.
import net from 'node:net';
import os from 'node:os';
import { ipv4Text, ipv6Bytes } from './ip.ts';

export type RefusalReason = 'unspecified' | 'loopback' | 'private' | 'link-local' | 'multicast' | 'reserved' | 'own-address' | 'denied';

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

export interface PolicyLists {
  /** CIDRs let through despite the default refusals. */
  allow: readonly string[];
  /** CIDRs always refused (wins over allow). */
  deny: readonly string[];
  /** This host's addresses its interfaces do not show (a public address behind 1:1 NAT). */
  ownAddresses: readonly string[];
}

/**
 * IPv4 addresses that an IPv6 address carries and that a packet to it reaches: IPv4-mapped
 * (::ffff:0:0/96), IPv4-compatible (::/96), NAT64 (64:ff9b::/96; 64:ff9b:1::/48, where the
 * operator may embed at /48 or /96, so both are judged), 6to4 (2002::/16) and Teredo
 * (2001::/32: the server, and the client address stored inverted).
 */
export function embeddedIpv4(address: string): string[] {
  if (!net.isIPv6(address)) return [];
  const b = ipv6Bytes(address);
  const v4 = (bytes: Uint8Array) => ipv4Text(bytes);
  const prefix = (hex: string) => b.subarray(0, hex.length / 2).toString('hex') === hex;
  const zeros = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return [v4(b.subarray(12))];
  if (zeros(0, 12)) return [v4(b.subarray(12))];
  if (prefix('0064ff9b') && zeros(4, 12)) return [v4(b.subarray(12))];
  if (prefix('0064ff9b0001')) return [v4(b.subarray(12)), v4(Uint8Array.of(b[6] ?? 0, b[7] ?? 0, b[9] ?? 0, b[10] ?? 0))];
  if (prefix('2002')) return [v4(b.subarray(2, 6))];
  if (prefix('20010000')) return [v4(b.subarray(4, 8)), v4(b.subarray(12).map((x) => x ^ 0xff))];
  return [];
}

export class DestinationPolicy {
  readonly #allowed: net.BlockList;
  readonly #denied: net.BlockList;
  readonly #refused = new Map<RefusalReason, net.BlockList>();
  readonly #configuredOwn: Set<string>;
  #own: Set<string>;
  #ownReadAtMs = 0;

  /** @param hostAddressesNow read again at most every `ownRefreshMs`, as interfaces come and go. */
  constructor(
    lists: PolicyLists,
    private readonly hostAddressesNow: () => readonly string[] = hostAddresses,
    private readonly ownRefreshMs = 30_000,
  ) {
    this.#allowed = cidrList(lists.allow);
    this.#denied = cidrList(lists.deny);
    this.#configuredOwn = new Set(lists.ownAddresses.map(canonical));
    for (const [reason, address, prefix, type] of RANGES) {
      const list = this.#refused.get(reason) ?? new net.BlockList();
      list.addSubnet(address, prefix, type);
      this.#refused.set(reason, list);
    }
    this.#own = new Set();
  }

  /** undefined when the destination may be connected to, else why not (an embedded IPv4 address is judged too). */
  check(address: string): RefusalReason | undefined {
    for (const candidate of [address, ...embeddedIpv4(address)]) {
      const reason = this.#checkOne(candidate);
      if (reason) return reason;
    }
    return undefined;
  }

  #checkOne(address: string): RefusalReason | undefined {
    const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (this.#denied.check(address, type)) return 'denied';
    if (this.#allowed.check(address, type)) return undefined;
    for (const [reason, list] of this.#refused) if (list.check(address, type)) return reason;
    const own = canonical(address);
    if (this.#configuredOwn.has(own) || this.#ownSet().has(own)) return 'own-address';
    return undefined;
  }

  #ownSet(): Set<string> {
    const nowMs = Date.now();
    if (nowMs - this.#ownReadAtMs >= this.ownRefreshMs) {
      this.#own = new Set(this.hostAddressesNow().map(canonical));
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
