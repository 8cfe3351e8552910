// The one small interface every system under test implements.
// A system is started inside a built topology and returns when it is healthy. The
// client always connects to the server's real address (ADDR.server); a system
// intercepts that on gw-local (nftables REDIRECT) or routes it, as it would at a home.
import type { Requirement } from '../engines/packages.ts';
import type { Topology } from '../topology/types.ts';

export type SystemName =
  | 'direct-tcp'
  | 'direct-tcp-b'
  | 'ssh-tunnel'
  | 'redsocks-dante'
  | 'redsocks-sshsocks'
  | 'mptcp-direct'
  | 'mprelay'
  | 'mprelay-no-monitor'
  | 'mprelay-kernel-defaults'
  | 'mprelay-paths';

/** Debian packages whose programs it runs, and the commands that must be on PATH. */
export type SystemNeeds = Requirement;

export interface RunningSystem {
  readonly name: SystemName;
  /**
   * Command prefix for the workload programs in the client and server namespaces,
   * e.g. ['mptcpize', 'run'] when the ends themselves must speak MPTCP. Empty for most.
   */
  readonly wrap: { client: string[]; server: string[] };
  /** Log files this system wrote, for the report and for error messages. */
  readonly logFiles: string[];
  /** Stops every process it started and removes every rule it added; safe to call twice. */
  stop(): Promise<void>;
}

export interface SystemAdapter {
  readonly name: SystemName;
  readonly description: string;
  readonly needs: SystemNeeds;
  /** Starts the system inside the topology and resolves once it is healthy. */
  start(topology: Topology, logDir: string): Promise<RunningSystem>;
}

/** A system that failed to start: names the system and carries the tail of its log. */
export class SystemStartError extends Error {
  constructor(
    readonly system: SystemName,
    readonly reason: string,
    readonly logTail: string,
  ) {
    super(`${system} failed to start: ${reason}${logTail ? `\n--- log tail ---\n${logTail}` : ''}`);
    this.name = 'SystemStartError';
  }
}
