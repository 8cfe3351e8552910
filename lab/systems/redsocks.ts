// redsocks on gw-local: takes the client's redirected TCP connections and opens each
// through a SOCKS5 proxy, plus the nftables REDIRECT that feeds it. Shared by the
// three redsocks baselines, which differ only in where the SOCKS server is.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ADDR, type Topology } from '../topology/types.ts';
import type { Parts } from './assemble.ts';
import { startDaemon, listeningBy } from './daemon.ts';
import { addClientRedirect } from './redirect.ts';
import type { SystemName } from './system.ts';

export const REDSOCKS_PORT = 12345;

export interface RedsocksOptions {
  system: SystemName;
  topology: Topology;
  logDir: string;
  socksIp: string;
  socksPort: number;
  /** ['mptcpize', 'run'] when redsocks' own connections to the SOCKS server must be MPTCP. */
  wrap?: readonly string[];
}

/** Starts redsocks, then the REDIRECT that feeds it, both registered with `parts`. */
export async function startRedsocks(parts: Parts, options: RedsocksOptions): Promise<void> {
  const config = path.resolve(options.logDir, 'redsocks.conf');
  await writeFile(
    config,
    `base {
  log_debug = off;
  log_info = on;
  log = stderr;
  daemon = off;
  // SO_ORIGINAL_DST, which nftables REDIRECT provides as iptables did.
  redirector = iptables;
}
redsocks {
  // The REDIRECT target is the LAN address; 127.0.0.1 would not receive PREROUTING redirects.
  local_ip = ${ADDR.gwLocalLan};
  local_port = ${REDSOCKS_PORT};
  ip = ${options.socksIp};
  port = ${options.socksPort};
  type = socks5;
}
`,
  );
  const ns = options.topology.ns.gwLocal;
  parts.add(
    await startDaemon({
      system: options.system,
      label: 'redsocks',
      ns,
      wrap: options.wrap,
      command: 'redsocks',
      args: ['-c', config],
      logFile: path.resolve(options.logDir, 'redsocks.log'),
      healthy: listeningBy(ns, ADDR.gwLocalLan, REDSOCKS_PORT),
    }),
  );
  parts.add(await addClientRedirect(options.topology, `mplab_${options.system.replaceAll('-', '_')}`, REDSOCKS_PORT));
}
