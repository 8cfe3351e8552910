// Both ends speak MPTCP themselves (the workload programs run under mptcpize), no
// proxy. The client's second address is routed over link B by gw-local (policy routing
// by source) and is a subflow endpoint in the client namespace, so the client opens a
// second subflow over link B. The ideal when both ends support MPTCP.
import { nsRun } from '../topology/netns.ts';
import { ADDR } from '../topology/types.ts';
import { assemble } from './assemble.ts';
import { MPTCPIZE } from './mptcp.ts';
import type { SystemAdapter } from './system.ts';

export const mptcpDirect: SystemAdapter = {
  name: 'mptcp-direct',
  description: 'client and server speak MPTCP end to end (mptcpize), no proxy',
  needs: { debianPackages: ['mptcpize'], commands: ['mptcpize'] },
  start: (topology, logDir) =>
    assemble('mptcp-direct', logDir, async () => {
      // Without this endpoint the client would never open its link-B subflow.
      const { stdout } = await nsRun(topology.ns.client, 'ip', ['mptcp', 'endpoint', 'show']);
      if (!new RegExp(`^${ADDR.clientB.replaceAll('.', '\\.')} .*subflow`, 'm').test(stdout)) {
        throw new Error(`the client namespace has no MPTCP subflow endpoint ${ADDR.clientB} (ip mptcp endpoint show: ${stdout || 'empty'})`);
      }
      return { client: [...MPTCPIZE], server: [...MPTCPIZE] };
    }),
};
