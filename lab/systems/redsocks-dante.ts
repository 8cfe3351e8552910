// The seed author's second setup: redsocks on gw-local -> SOCKS5 -> danted on gw-remote.
// Both run under mptcpize, so each client connection is its own MPTCP connection
// across the two links; SOCKS costs extra WAN round trips to name the destination.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ADDR } from '../topology/types.ts';
import { assemble, NO_WRAP } from './assemble.ts';
import { startDaemon, listeningBy } from './daemon.ts';
import { MPTCPIZE } from './mptcp.ts';
import { startRedsocks } from './redsocks.ts';
import type { SystemAdapter } from './system.ts';

export const SOCKS_PORT = 1080;
/** gw-local's addresses on the two links: the only SOCKS clients allowed (never an open proxy). */
const HOME_ADDRESSES = [`${ADDR.gwLocalLinkA}/32`, `${ADDR.gwLocalLinkB}/32`];

/** danted is strict: one keyword per line inside the pass blocks. */
function dantedConfig(): string {
  const clientPass = HOME_ADDRESSES.map((from) => `client pass {\n  from: ${from} to: 0.0.0.0/0\n  log: error\n}\n`).join('');
  const socksPass = HOME_ADDRESSES.map((from) => `socks pass {\n  from: ${from} to: 0.0.0.0/0\n  command: connect\n  log: error\n}\n`).join('');
  return `logoutput: stderr
internal: ${ADDR.gwRemotePublic} port = ${SOCKS_PORT}
external: ${ADDR.gwRemoteWan}
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
${clientPass}${socksPass}`;
}

export const redsocksDante: SystemAdapter = {
  name: 'redsocks-dante',
  description: 'redsocks -> SOCKS5 -> danted: one MPTCP connection per client connection',
  needs: {
    debianPackages: ['redsocks', 'dante-server', 'mptcpize', 'nftables'],
    commands: ['redsocks', 'danted', 'mptcpize', 'nft'],
  },
  start: (topology, logDir) =>
    assemble('redsocks-dante', logDir, async (parts) => {
      const config = path.resolve(logDir, 'danted.conf');
      await writeFile(config, dantedConfig());
      parts.add(
        await startDaemon({
          system: 'redsocks-dante',
          label: 'danted',
          ns: topology.ns.gwRemote,
          wrap: MPTCPIZE,
          command: 'danted',
          // Foreground by default; -p keeps its pid file out of /run.
          args: ['-f', config, '-p', path.resolve(logDir, 'danted.pid')],
          logFile: path.resolve(logDir, 'danted.log'),
          healthy: listeningBy(topology.ns.gwRemote, ADDR.gwRemotePublic, SOCKS_PORT),
        }),
      );
      await startRedsocks(parts, {
        system: 'redsocks-dante',
        topology,
        logDir,
        socksIp: ADDR.gwRemotePublic,
        socksPort: SOCKS_PORT,
        wrap: MPTCPIZE,
      });
      return NO_WRAP;
    }),
};
