// The home as it was: no relay, the client's TCP goes out over one link (NAT like a
// home router) as one plain TCP connection. direct-tcp uses link A, gw-local's default
// route; direct-tcp-b sends everything from the LAN over link B instead, so that "the
// best single link" is measured on links that differ, not assumed to be link A.
import { nsRun } from '../topology/netns.ts';
import { DEV, ROUTE_TABLE_LINK_B } from '../topology/types.ts';
import { assemble, NO_WRAP } from './assemble.ts';
import type { SystemAdapter } from './system.ts';

export const directTcp: SystemAdapter = {
  name: 'direct-tcp',
  description: 'no relay: plain TCP over link A only (reference floor)',
  needs: { debianPackages: [], commands: [] },
  start: (_topology, logDir) => assemble('direct-tcp', logDir, async () => NO_WRAP),
};

/** Ahead of the topology's own rules (priority 100 and up): everything the LAN sends takes link B's table. */
const LINK_B_RULE = ['iif', DEV.lan, 'lookup', String(ROUTE_TABLE_LINK_B), 'priority', '90'];

export const directTcpB: SystemAdapter = {
  name: 'direct-tcp-b',
  description: 'no relay: plain TCP over link B only (the other single link)',
  needs: { debianPackages: [], commands: [] },
  start: (topology, logDir) =>
    assemble('direct-tcp-b', logDir, async (parts) => {
      const ns = topology.ns.gwLocal;
      await nsRun(ns, 'ip', ['rule', 'add', ...LINK_B_RULE]);
      let removed: Promise<void> | undefined;
      parts.add({
        stop: () => (removed ??= nsRun(ns, 'ip', ['rule', 'del', ...LINK_B_RULE], { reject: false }).then(() => undefined)),
      });
      return NO_WRAP;
    }),
};
