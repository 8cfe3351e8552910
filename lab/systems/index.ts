// Every system under test, by name: the registry the runner and the CLI look systems up in.
import { directTcp, directTcpB } from './direct-tcp.ts';
import { mprelay, mprelayKernelDefaults, mprelayPaths, mprelayNoMonitor } from './mprelay.ts';
import { mptcpDirect } from './mptcp-direct.ts';
import { redsocksDante } from './redsocks-dante.ts';
import { redsocksSshsocks } from './redsocks-sshsocks.ts';
import { sshTunnel } from './ssh-tunnel.ts';
import type { SystemAdapter, SystemName } from './system.ts';

export const systemsByName: Record<SystemName, SystemAdapter> = {
  'direct-tcp': directTcp,
  'direct-tcp-b': directTcpB,
  'ssh-tunnel': sshTunnel,
  'redsocks-dante': redsocksDante,
  'redsocks-sshsocks': redsocksSshsocks,
  'mptcp-direct': mptcpDirect,
  mprelay,
  'mprelay-no-monitor': mprelayNoMonitor,
  'mprelay-kernel-defaults': mprelayKernelDefaults,
  'mprelay-paths': mprelayPaths,
};
