// Variant of redsocks-dante that the seed's author found simplest: the SOCKS server on
// gw-remote is `ssh -D` to localhost there. Its SOCKS port listens on the public
// address under mptcpize, so each client connection is again its own MPTCP connection.
import path from 'node:path';
import { ADDR } from '../topology/types.ts';
import { assemble, NO_WRAP } from './assemble.ts';
import { startDaemon, listeningBy } from './daemon.ts';
import { MPTCPIZE } from './mptcp.ts';
import { startRedsocks } from './redsocks.ts';
import { startSshd, sshSocksArgs, writeSshFiles } from './ssh.ts';
import type { SystemAdapter } from './system.ts';

const LOOPBACK = '127.0.0.1';
export const SOCKS_PORT = 1080;

export const redsocksSshsocks: SystemAdapter = {
  name: 'redsocks-sshsocks',
  description: 'redsocks -> SOCKS5 of `ssh -D` to localhost on gw-remote: one MPTCP connection per client connection',
  needs: {
    debianPackages: ['redsocks', 'openssh-server', 'openssh-client', 'mptcpize', 'nftables'],
    commands: ['redsocks', 'sshd', 'ssh', 'ssh-keygen', 'mptcpize', 'nft'],
  },
  start: (topology, logDir) =>
    assemble('redsocks-sshsocks', logDir, async (parts) => {
      const ns = topology.ns.gwRemote;
      const files = await writeSshFiles(logDir, LOOPBACK);
      parts.add(
        await startSshd({ system: 'redsocks-sshsocks', ns, files, listenIp: LOOPBACK, logFile: path.resolve(logDir, 'sshd.log') }),
      );
      parts.add(
        await startDaemon({
          system: 'redsocks-sshsocks',
          label: 'ssh -D',
          ns,
          // Makes the SOCKS listener MPTCP (the loopback SSH connection too, harmlessly).
          wrap: MPTCPIZE,
          command: 'ssh',
          args: sshSocksArgs(files, `${ADDR.gwRemotePublic}:${SOCKS_PORT}`),
          logFile: path.resolve(logDir, 'ssh-socks.log'),
          healthy: listeningBy(ns, ADDR.gwRemotePublic, SOCKS_PORT),
        }),
      );
      await startRedsocks(parts, {
        system: 'redsocks-sshsocks',
        topology,
        logDir,
        socksIp: ADDR.gwRemotePublic,
        socksPort: SOCKS_PORT,
        wrap: MPTCPIZE,
      });
      return NO_WRAP;
    }),
};
