// What the lab runs that a fresh Debian/Ubuntu machine may lack, and installing it.
// The lab installs missing packages itself when it can (root, apt-get), after saying
// what it will install; otherwise it stops with the exact command to run.
import { access, constants } from 'node:fs/promises';
import { execa } from 'execa';

/** Commands a part of the lab runs, and the Debian packages that provide them. */
export interface Requirement {
  debianPackages: string[];
  commands: string[];
}

/** Programs the lab itself needs, whatever the systems under test. */
export const LAB_REQUIREMENTS: Requirement[] = [
  { debianPackages: ['iproute2'], commands: ['ip', 'tc', 'ss', 'nstat'] },
  { debianPackages: ['nftables'], commands: ['nft'] },
  { debianPackages: ['mptcpize'], commands: ['mptcpize'] },
  { debianPackages: ['iperf3'], commands: ['iperf3'] },
  { debianPackages: ['iputils-ping'], commands: ['ping'] },
  { debianPackages: ['curl'], commands: ['curl'] },
  // The keyscan workload: a real SSH key exchange.
  { debianPackages: ['openssh-client', 'openssh-server'], commands: ['ssh-keyscan', 'sshd', 'ssh-keygen'] },
  // The world's DNS server (lab/topology/dns-server.ts). dnsmasq-base is the program
  // alone: the `dnsmasq` package would also enable a system-wide service on the host's port 53.
  { debianPackages: ['dnsmasq-base'], commands: ['dnsmasq'] },
];

const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

async function onPath(command: string): Promise<boolean> {
  for (const dir of SEARCH_PATH) {
    try {
      await access(`${dir}/${command}`, constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Packages of every requirement one of whose commands is missing. */
export async function missingPackages(requirements: readonly Requirement[]): Promise<string[]> {
  const missing = new Set<string>();
  for (const requirement of requirements) {
    const present = await Promise.all(requirement.commands.map(onPath));
    if (present.includes(false)) for (const name of requirement.debianPackages) missing.add(name);
  }
  return [...missing].sort();
}

export function installCommand(packages: readonly string[]): string {
  return `apt-get update && apt-get install -y ${packages.join(' ')}`;
}

export class MissingPackagesError extends Error {
  constructor(readonly packages: string[]) {
    super(`missing Debian packages: ${packages.join(' ')}\nrun as root: ${installCommand(packages)}`);
    this.name = 'MissingPackagesError';
  }
}

/** Makes sure every requirement is installed, installing with apt-get when running as root. */
export async function ensurePackages(requirements: readonly Requirement[], log: (line: string) => void): Promise<void> {
  const packages = await missingPackages(requirements);
  if (packages.length === 0) return;
  const canInstall = process.getuid?.() === 0 && (await onPath('apt-get'));
  if (!canInstall) throw new MissingPackagesError(packages);
  log(`mplab: installing missing Debian packages: ${packages.join(' ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  await execa('apt-get', ['update', '-q'], { env, stdout: 'inherit', stderr: 'inherit' });
  await execa('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { env, stdout: 'inherit', stderr: 'inherit' });
  const still = await missingPackages(requirements);
  if (still.length > 0) throw new MissingPackagesError(still);
}
