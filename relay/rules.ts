// The nftables rules a gateway needs to send its LAN's TCP to the local relay. Printed,
// not applied: a person reads them, then runs `nft -f`. The lab applies the same text.
import net from 'node:net';

/** Destinations that stay off the relay: local and special-purpose ranges (RFC 6890). */
const BYPASS_V4 = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '224.0.0.0/4', '240.0.0.0/4'];
const BYPASS_V6 = ['::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8'];

export interface RulesOptions {
  lanInterface: string;
  /** The remote relay's address: its own traffic must not be redirected. */
  remoteAddress: string;
  /** The local relay's listening port. */
  port: number;
  /** The nftables table name (one table holds everything, so removal is one command). */
  table?: string;
  /** REDIRECT (NAT; the default) or TPROXY (no NAT; needs the policy routing of tproxyRouting). */
  interception?: 'redirect' | 'tproxy';
  /**
   * QUIC (UDP to port 443) from the LAN is rejected with ICMP port-unreachable, so that
   * browsers fall back to TCP at once, which the relay carries over both links; true keeps it.
   */
  allowQuic?: boolean;
  /**
   * The DNS forwarder's port (the `dns.listen` port of the local config): the LAN's DNS,
   * UDP and TCP port 53 to any address, is redirected there, before the bypass (a LAN
   * resolver too). Without it, DNS goes where the client sends it.
   */
  dnsPort?: number;
}

/** One WAN link of the gateway, for the policy routes that let a connection pick its link by source address. */
export interface WanLink {
  device: string;
  /** The gateway's address on it (the `address` of the link in local.yaml). */
  address: string;
  /** The ISP's next hop on it. */
  gateway: string;
}

/** Routing tables for the WAN links' policy routes: the first link's is WAN_TABLE_BASE. */
export const WAN_TABLE_BASE = 110;

/**
 * The `ip` commands (argv after `ip`) that send traffic from each WAN address out of its
 * own link: a new connection's first subflow follows routing, so this is how binding its
 * source address to a link that is up takes it over that link.
 */
export function wanRouting(links: readonly WanLink[]): string[][] {
  return links.flatMap((link, i) => {
    const family = net.isIPv6(link.address) ? '-6' : '-4';
    if (!net.isIP(link.address) || !net.isIP(link.gateway)) throw new Error(`not an IP address: ${net.isIP(link.address) ? link.gateway : link.address}`);
    if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(link.device)) throw new Error(`not an interface name: ${link.device}`);
    const table = String(WAN_TABLE_BASE + i);
    return [
      [family, 'route', 'add', 'default', 'via', link.gateway, 'dev', link.device, 'table', table],
      [family, 'rule', 'add', 'from', link.address, 'lookup', table, 'priority', String(WAN_TABLE_BASE + i)],
    ];
  });
}

/** Packets TPROXY marks are delivered locally by this routing table. */
export const TPROXY_MARK = 1;
export const TPROXY_TABLE = 100;

/** The `ip` commands (argv after `ip`) that deliver TPROXY-marked packets to the local listener. */
export function tproxyRouting(families: readonly ('-4' | '-6')[] = ['-4', '-6']): string[][] {
  return families.flatMap((family) => [
    [family, 'rule', 'add', 'fwmark', String(TPROXY_MARK), 'lookup', String(TPROXY_TABLE)],
    [family, 'route', 'add', 'local', family === '-4' ? '0.0.0.0/0' : '::/0', 'dev', 'lo', 'table', String(TPROXY_TABLE)],
  ]);
}

/** Parses `--wan IF,ADDRESS,GATEWAY`. */
export function parseWan(text: string): WanLink {
  const [device, address, gateway, ...rest] = text.split(',');
  if (!device || !address || !gateway || rest.length > 0) throw new Error(`--wan wants IF,ADDRESS,GATEWAY (e.g. eth1,100.64.2.2,100.64.2.1), not ${text}`);
  return { device, address, gateway };
}

/** The comment block naming the WAN policy routes, for the top of the rules file. */
export function wanRoutingComment(links: readonly WanLink[]): string[] {
  if (links.length === 0) return [];
  return [`# New connections leave from the address of a link that is up; each WAN needs (once, as root, at boot):`, ...wanRouting(links).map((argv) => `#   ip ${argv.join(' ')}`)];
}

export function nftRules(options: RulesOptions): string {
  const table = options.table ?? 'mprelay';
  if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(options.lanInterface)) throw new Error(`not an interface name: ${options.lanInterface}`);
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${table}`);
  if (!net.isIP(options.remoteAddress)) throw new Error(`not an IP address: ${options.remoteAddress}`);
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new Error(`not a port: ${options.port}`);
  const v4 = [...BYPASS_V4, ...(net.isIPv4(options.remoteAddress) ? [options.remoteAddress] : [])];
  const v6 = [...BYPASS_V6, ...(net.isIPv6(options.remoteAddress) ? [options.remoteAddress] : [])];
  const lan = `iifname "${options.lanInterface}"`;
  const tproxy = options.interception === 'tproxy';
  const intercept = tproxy
    ? [
        `    ${lan} meta l4proto tcp meta mark set ${TPROXY_MARK} tproxy ip to :${options.port} counter accept`,
        `    ${lan} meta l4proto tcp meta mark set ${TPROXY_MARK} tproxy ip6 to :${options.port} counter accept`,
      ]
    : [`    ${lan} meta l4proto tcp counter redirect to :${options.port}`];
  if (options.dnsPort !== undefined && (!Number.isInteger(options.dnsPort) || options.dnsPort < 1 || options.dnsPort > 65535)) throw new Error(`not a port: ${options.dnsPort}`);
  // A chain of its own, before the TCP interception's (NAT takes the first chain that binds a connection), in either interception mode.
  const dns =
    options.dnsPort === undefined
      ? []
      : [
          `  chain dns {`,
          `    type nat hook prerouting priority -110; policy accept;`,
          `    # Lookups ride both links: the LAN's DNS goes to the local relay's forwarder.`,
          `    ${lan} udp dport 53 counter redirect to :${options.dnsPort}`,
          `    ${lan} tcp dport 53 counter redirect to :${options.dnsPort}`,
          `  }`,
        ];
  const quic = options.allowQuic
    ? []
    : [
        `  chain forward {`,
        `    type filter hook forward priority filter; policy accept;`,
        `    # QUIC would take one link only: refused at once, browsers fall back to TCP (over both links).`,
        `    ${lan} udp dport 443 counter reject with icmpx type port-unreachable`,
        `  }`,
      ];
  return [
    `# mprelay: ${tproxy ? 'TPROXY' : 'redirect'} TCP arriving on ${options.lanInterface} to the local relay on port ${options.port}${options.dnsPort === undefined ? '' : `, DNS to its forwarder on port ${options.dnsPort}`}.`,
    `# Apply with \`nft -f FILE\`; remove with \`nft delete table inet ${table}\`. Re-applying replaces the table.`,
    ...(tproxy
      ? [`# TPROXY also needs (once, as root; the local config must say interception: tproxy):`, ...tproxyRouting().map((argv) => `#   ip ${argv.join(' ')}`)]
      : []),
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    ...dns,
    `  set bypass_v4 {`,
    `    type ipv4_addr; flags interval;`,
    `    elements = { ${v4.join(', ')} }`,
    `  }`,
    `  set bypass_v6 {`,
    `    type ipv6_addr; flags interval;`,
    `    elements = { ${v6.join(', ')} }`,
    `  }`,
    `  chain prerouting {`,
    tproxy ? `    type filter hook prerouting priority mangle; policy accept;` : `    type nat hook prerouting priority -100; policy accept;`,
    `    ${lan} ip daddr @bypass_v4 return`,
    `    ${lan} ip6 daddr @bypass_v6 return`,
    ...intercept,
    `  }`,
    ...quic,
    `}`,
    '',
  ].join('\n');
}
