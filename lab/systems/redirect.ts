// The home gateway's interception: an nftables REDIRECT (PREROUTING) of the client's
// TCP arriving on the LAN to a local proxy port. REDIRECT rewrites the destination to
// the LAN interface's primary address (ADDR.gwLocalLan), so the proxy must listen
// there, not on 127.0.0.1; the original destination stays readable with SO_ORIGINAL_DST.
import { nsRun } from '../topology/netns.ts';
import { ADDR, DEV, type Topology } from '../topology/types.ts';

export interface Redirect {
  readonly table: string;
  /** Deletes the table; safe to call twice. */
  stop(): Promise<void>;
}

/** Addresses the gateway never intercepts: the LAN itself (the gateway and its neighbours). */
const NOT_INTERCEPTED = ['192.168.0.0/16'];

/**
 * Sends every TCP connection from the client's LAN addresses to `toPort` on gw-local.
 * `table` names the nftables table, so that each system's rules are its own.
 */
export async function addClientRedirect(topology: Topology, table: string, toPort: number): Promise<Redirect> {
  const ns = topology.ns.gwLocal;
  await nsRun(ns, 'nft', ['-f', '-'], {
    input: `table ip ${table} {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "${DEV.lan}" ip saddr { ${ADDR.client}, ${ADDR.clientB} } ip daddr != { ${NOT_INTERCEPTED.join(', ')} } meta l4proto tcp redirect to :${toPort}
  }
}
`,
  });
  let removed: Promise<void> | undefined;
  return {
    table,
    stop() {
      removed ??= nsRun(ns, 'nft', ['delete', 'table', 'ip', table], { reject: false }).then(() => undefined);
      return removed;
    },
  };
}
