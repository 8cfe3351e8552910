// The seed author's first setup: redsocks on gw-local -> `ssh -D` SOCKS port on gw-local,
// kept up by autossh -> sshd on gw-remote's public address. The one SSH connection runs
// over MPTCP (both ends under mptcpize), and every client connection shares it.
import path from 'node:path';
import { ADDR } from '../topology/types.ts';
import { assemble, NO_WRAP } from './assemble.ts';
import { startDaemon, listeningBy } from './daemon.ts';
import { MPTCPIZE } from './mptcp.ts';
import { startRedsocks } from './redsocks.ts';
import { startSshd, sshSocksArgs, writeSshFiles } from './ssh.ts';
import type { SystemAdapter } from './system.ts';

const SOCKS_IP = '127.0.0.1';
const SOCKS_PORT = 1080;

export const sshTunnel: SystemAdapter = {
  name: 'ssh-tunnel',
  description: 'redsocks -> ssh -D (autossh) -> sshd: all client connections in one SSH connection over MPTCP',
  needs: {
    debianPackages: ['redsocks', 'openssh-server', 'openssh-client', 'autossh', 'mptcpize', 'nftables'],
    commands: ['redsocks', 'sshd', 'ssh', 'ssh-keygen', 'autossh', 'mptcpize', 'nft'],
  },
  start: (topology, logDir) =>
    assemble('ssh-tunnel', logDir, async (parts) => {
      const files = await writeSshFiles(logDir, ADDR.gwRemotePublic);
      parts.add(
        await startSshd({
          system: 'ssh-tunnel',
          ns: topology.ns.gwRemote,
          files,
          listenIp: ADDR.gwRemotePublic,
          logFile: path.resolve(logDir, 'sshd.log'),
          wrap: MPTCPIZE,
        }),
      );
      parts.add(
        await startDaemon({
          system: 'ssh-tunnel',
          label: 'autossh',
          ns: topology.ns.gwLocal,
          // The preload is inherited by the ssh that autossh runs: the SSH connection is MPTCP.
          wrap: MPTCPIZE,
          command: 'autossh',
          // -M 0: no monitor port; ssh's ServerAlive probes end a dead connection (exit 255), autossh restarts it.
          args: ['-M', '0', ...sshSocksArgs(files, `${SOCKS_IP}:${SOCKS_PORT}`)],
          env: {
            // Keep retrying even when the first attempt fails fast (the links may be down).
            AUTOSSH_GATETIME: '0',
            AUTOSSH_LOGLEVEL: '6',
            // Its own messages (restarts) go to the same log as ssh's, not to syslog.
            AUTOSSH_LOGFILE: '/dev/stderr',
          },
          logFile: path.resolve(logDir, 'autossh.log'),
          // ssh opens the SOCKS port only once the session is authenticated.
          healthy: listeningBy(topology.ns.gwLocal, SOCKS_IP, SOCKS_PORT),
          startTimeoutMs: 20_000,
        }),
      );
      // redsocks itself stays plain TCP: its only upstream is the local SOCKS port.
      await startRedsocks(parts, { system: 'ssh-tunnel', topology, logDir, socksIp: SOCKS_IP, socksPort: SOCKS_PORT });
      return NO_WRAP;
    }),
};
