// The home as it was: no relay, the client's TCP goes out over link A (gw-local's
// default route, NAT like a home router) as one plain TCP connection. Nothing runs.
import { assemble, NO_WRAP } from './assemble.ts';
import type { SystemAdapter } from './system.ts';

export const directTcp: SystemAdapter = {
  name: 'direct-tcp',
  description: 'no relay: plain TCP over link A only (reference floor)',
  needs: { debianPackages: [], commands: [] },
  start: (_topology, logDir) => assemble('direct-tcp', logDir, async () => NO_WRAP),
};
