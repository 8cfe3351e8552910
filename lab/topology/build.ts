// Builds one run's topology:
//   client --lan-- gw-local == link A, link B (emulated) == gw-remote --wan-- server
// Addressing and routing are as at a real home behind two ISPs (see ADDR); the server
// namespace also runs the world's DNS server (dnsmasq, LAB_DNS). Every step
// is bounded by a timeout, and any failure tears down what was already built.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { execa } from 'execa';
import { chooseBackend, startLink } from '../links/backend.ts';
import type { LinkBackendName, LinkName } from '../links/model.ts';
import type { Scenario } from '../scenario/schema.ts';
import { startDnsmasq, type DnsmasqServer } from './dns-server.ts';
import { createNamespace, deleteNamespace } from './namespace.ts';
import { nsRun } from './netns.ts';
import { claimRun, namespaceName, onInterrupt, releaseRun } from './registry.ts';
import { ADDR, DEV, LAB_DNS, ROUTE_TABLE_LINK_B, type LinkControl, type Namespaces, type Topology } from './types.ts';

export interface BuildOptions {
  runDir: string;
  backend?: 'auto' | LinkBackendName;
  runId?: string;
}

/** `ip -batch` inside a namespace: one process per namespace instead of one per command. */
async function ipBatch(ns: string, commands: string[]): Promise<void> {
  await execa('ip', ['-n', ns, '-batch', '-'], { input: commands.join('\n') + '\n', timeout: 15_000 });
}

async function nft(ns: string, ruleset: string): Promise<void> {
  await nsRun(ns, 'nft', ['-f', '-'], { input: ruleset });
}

async function vethBetween(nsA: string, devA: string, nsB: string, devB: string): Promise<void> {
  await execa('ip', ['link', 'add', devA, 'netns', nsA, 'type', 'veth', 'peer', 'name', devB, 'netns', nsB], { timeout: 10_000 });
}

async function configure(ns: Namespaces): Promise<void> {
  await vethBetween(ns.client, DEV.lan, ns.gwLocal, DEV.lan);
  await vethBetween(ns.gwRemote, DEV.wan, ns.server, DEV.wan);

  await ipBatch(ns.client, [
    `addr add ${ADDR.client}/24 dev ${DEV.lan}`,
    `addr add ${ADDR.clientB}/24 dev ${DEV.lan}`,
    `link set ${DEV.lan} up`,
    `route add default via ${ADDR.gwLocalLan}`,
    // Only used by systems whose client speaks MPTCP itself (mptcp-direct).
    'mptcp endpoint flush',
    `mptcp endpoint add ${ADDR.clientB} dev ${DEV.lan} subflow`,
    'mptcp limits set subflow 2 add_addr_accepted 2',
  ]);
  await ipBatch(ns.gwLocal, [
    `addr add ${ADDR.gwLocalLan}/24 dev ${DEV.lan}`,
    `addr add ${ADDR.gwLocalLanB}/24 dev ${DEV.lan}`,
    `link set ${DEV.lan} up`,
    `addr add ${ADDR.gwLocalLinkA} peer ${ADDR.gwRemoteLinkA} dev ${DEV.linkA}`,
    `addr add ${ADDR.gwLocalLinkB} peer ${ADDR.gwRemoteLinkB} dev ${DEV.linkB}`,
    `link set ${DEV.linkA} up`,
    `link set ${DEV.linkB} up`,
    `route add default via ${ADDR.gwRemoteLinkA} dev ${DEV.linkA}`,
    `route add default via ${ADDR.gwRemoteLinkB} dev ${DEV.linkB} table ${ROUTE_TABLE_LINK_B}`,
    // The gateway's own traffic from its link-B address, and the client's second address, leave over link B.
    `rule add from ${ADDR.gwLocalLinkB} lookup ${ROUTE_TABLE_LINK_B} priority 100`,
    `rule add iif ${DEV.lan} from ${ADDR.clientB}/24 lookup ${ROUTE_TABLE_LINK_B} priority 101`,
    // The kernel adds implicit endpoints; the home side opens exactly one extra subflow, over link B.
    'mptcp endpoint flush',
    `mptcp endpoint add ${ADDR.gwLocalLinkB} dev ${DEV.linkB} subflow`,
    'mptcp limits set subflow 2 add_addr_accepted 2',
  ]);
  // A home router NATs each ISP's traffic to that ISP's address.
  await nft(
    ns.gwLocal,
    `table ip mplab_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${DEV.linkA}" ip saddr 192.168.0.0/16 masquerade
    oifname "${DEV.linkB}" ip saddr 192.168.0.0/16 masquerade
  }
}
`,
  );
  await ipBatch(ns.gwRemote, [
    `addr add ${ADDR.gwRemotePublic}/32 dev lo`,
    `addr add ${ADDR.gwRemoteLinkA} peer ${ADDR.gwLocalLinkA} dev ${DEV.linkA}`,
    `addr add ${ADDR.gwRemoteLinkB} peer ${ADDR.gwLocalLinkB} dev ${DEV.linkB}`,
    `link set ${DEV.linkA} up`,
    `link set ${DEV.linkB} up`,
    `addr add ${ADDR.gwRemoteWan}/24 dev ${DEV.wan}`,
    `link set ${DEV.wan} up`,
    'mptcp endpoint flush',
    'mptcp limits set subflow 2 add_addr_accepted 0',
  ]);
  await ipBatch(ns.server, [
    `addr add ${ADDR.server}/24 dev ${DEV.wan}`,
    `link set ${DEV.wan} up`,
    `route add default via ${ADDR.gwRemoteWan}`,
    'mptcp endpoint flush',
    'mptcp limits set subflow 2 add_addr_accepted 0',
  ]);
}

function sysctlsFor(role: keyof Namespaces, congestionControl: string): Record<string, string> {
  const common: Record<string, string> = {
    'net.ipv4.tcp_congestion_control': congestionControl,
    'net.mptcp.enabled': '1',
    // Asymmetric paths (policy routing, NAT per link) must not be dropped as spoofed.
    'net.ipv4.conf.all.rp_filter': '0',
    'net.ipv4.conf.default.rp_filter': '0',
    // The lab is IPv4; IPv6 router and neighbour solicitations would add stray packets to the link counters.
    'net.ipv6.conf.all.disable_ipv6': '1',
    'net.ipv6.conf.default.disable_ipv6': '1',
    // No cached RTT, cwnd or ssthresh from an earlier connection to the same host: each connection starts cold.
    'net.ipv4.tcp_no_metrics_save': '1',
  };
  const isGateway = role === 'gwLocal' || role === 'gwRemote';
  return isGateway ? { ...common, 'net.ipv4.ip_forward': '1' } : common;
}

export function newRunId(): string {
  return randomBytes(3).toString('hex');
}

export async function buildTopology(scenario: Scenario, options: BuildOptions): Promise<Topology> {
  const runId = options.runId ?? newRunId();
  const ns: Namespaces = {
    client: namespaceName(runId, 'client'),
    gwLocal: namespaceName(runId, 'gw-local'),
    gwRemote: namespaceName(runId, 'gw-remote'),
    server: namespaceName(runId, 'server'),
  };
  await mkdir(options.runDir, { recursive: true });
  await claimRun(runId);

  const links: Partial<Record<LinkName, LinkControl>> = {};
  let dns: DnsmasqServer | undefined;
  let destroyed: Promise<void> | undefined;
  const destroy = () =>
    (destroyed ??= (async () => {
      unregister();
      await dns?.stop().catch(() => undefined);
      await Promise.allSettled(Object.values(links).map((link) => link.stop()));
      await Promise.allSettled(Object.values(ns).map((name) => deleteNamespace(name)));
      await releaseRun(runId);
    })());
  const unregister = onInterrupt(destroy);

  try {
    for (const [role, name] of Object.entries(ns) as [keyof Namespaces, string][]) {
      await createNamespace(name, sysctlsFor(role, scenario.congestionControl));
    }
    const backend = await chooseBackend(options.backend ?? scenario.linkBackend);
    for (const name of ['a', 'b'] as const) {
      links[name] = await startLink(backend, {
        model: scenario.links[name],
        nsLocal: ns.gwLocal,
        nsRemote: ns.gwRemote,
        logFile: `${options.runDir}/link-${name}.log`,
      });
    }
    await configure(ns);
    dns = await startDnsmasq(ns.server, { address: LAB_DNS.resolver, zone: LAB_DNS.zone, logFile: `${options.runDir}/dnsmasq.log` });
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    runId,
    runDir: options.runDir,
    ns,
    links: links as Record<LinkName, LinkControl>,
    congestionControl: scenario.congestionControl,
    destroy,
  };
}

