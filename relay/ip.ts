// IP address text <-> bytes, which Node lacks (no inet_pton). Used by the wire codec and
// by the sockaddr structures of the libc bindings.
import net from 'node:net';

export type IpFamily = 4 | 6;

export function ipv4Bytes(address: string): Buffer {
  if (!net.isIPv4(address)) throw new TypeError(`not an IPv4 address: ${address}`);
  return Buffer.from(address.split('.').map(Number));
}

export function ipv4Text(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join('.');
}

/** The 16 bytes of an IPv6 address: '::' expanded, an embedded dotted quad converted. */
export function ipv6Bytes(address: string): Buffer {
  if (!net.isIPv6(address)) throw new TypeError(`not an IPv6 address: ${address}`);
  let text = address.split('%')[0] ?? '';
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [, a, b, c, d] = dotted.map(Number) as [number, number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...new Array<string>(zeros).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2));
  return out;
}

/** Canonical (compressed) text of 16 IPv6 address bytes, as Node prints addresses. */
export function ipv6Text(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

export function familyOf(address: string): IpFamily {
  if (net.isIPv4(address)) return 4;
  if (net.isIPv6(address)) return 6;
  throw new TypeError(`not an IP address: ${address}`);
}

/** An IPv4 address as a dual-stack socket may show it (::ffff:a.b.c.d), as plain IPv4; anything else as it is. */
export function unmappedIpv4(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.)/i, '');
}
