// The world's DNS server: Debian's dnsmasq in a namespace, authoritative for one small
// test zone (names it lists answer; other names in the zone are NXDOMAIN; nothing is
// forwarded anywhere), on UDP and TCP port 53 of one address, every query logged.
import { nsRun, nsSpawn } from './netns.ts';

export interface DnsZone {
  domain: string;
  /** Name -> IPv4 address (A records). */
  hosts: Readonly<Record<string, string>>;
  /** Name -> character strings (TXT records): the tests' long answers. */
  txt?: Readonly<Record<string, readonly string[]>>;
}

export interface DnsmasqServer {
  readonly pid: number;
  stop(): Promise<void>;
}

export const DNS_PORT = 53;
const START_TIMEOUT_MS = 10_000;
const POLL_MS = 50;

/** dnsmasq's command line for `zone` on `address`: a config of its own only (not /etc/dnsmasq.conf), in the foreground. */
export function dnsmasqArgs(address: string, zone: DnsZone): string[] {
  return [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--pid-file=',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--bind-interfaces',
    `--listen-address=${address}`,
    `--port=${DNS_PORT}`,
    `--local=/${zone.domain}/`,
    '--log-facility=-',
    '--log-queries',
    ...Object.entries(zone.hosts).map(([name, ip]) => `--host-record=${name},${ip}`),
    ...Object.entries(zone.txt ?? {}).map(([name, strings]) => `--txt-record=${name},${strings.map((s) => `"${s}"`).join(',')}`),
  ];
}

/** Starts dnsmasq in `ns`; resolves once it listens on UDP and TCP. */
export async function startDnsmasq(ns: string, options: { address: string; zone: DnsZone; logFile: string }): Promise<DnsmasqServer> {
  const child = nsSpawn(ns, 'dnsmasq', dnsmasqArgs(options.address, options.zone), { stdout: { file: options.logFile, append: true }, stderr: { file: options.logFile, append: true }, forceKillAfterDelay: 2_000 });
  let exited = false;
  void child.then(() => (exited = true));
  const stop = async () => {
    if (!exited) child.kill('SIGTERM');
    await child;
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const { stdout } = await nsRun(ns, 'ss', ['-Hlnut', 'src', `${options.address}:${DNS_PORT}`], { reject: false });
    if (String(stdout).split('\n').filter((line) => line.trim()).length >= 2) break;
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`dnsmasq did not listen on ${options.address}:${DNS_PORT} in ${ns} (see ${options.logFile})`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (child.pid === undefined) throw new Error('dnsmasq has no pid');
  return { pid: child.pid, stop };
}
