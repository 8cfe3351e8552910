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
  return [
    `# mprelay: ${tproxy ? 'TPROXY' : 'redirect'} TCP arriving on ${options.lanInterface} to the local relay on port ${options.port}.`,
    `# Apply with \`nft -f FILE\`; remove with \`nft delete table inet ${table}\`. Re-applying replaces the table.`,
    ...(tproxy
      ? [`# TPROXY also needs (once, as root; the local config must say interception: tproxy):`, ...tproxyRouting().map((argv) => `#   ip ${argv.join(' ')}`)]
      : []),
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
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
    `}`,
    '',
  ].join('\n');
}
