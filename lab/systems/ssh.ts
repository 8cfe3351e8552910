// OpenSSH as the baselines use it: a throwaway host key and client key, an sshd run
// by hand in the foreground with its config in the run directory, and the client
// config for a `ssh -D` SOCKS proxy. Nothing reads or writes ~/.ssh or /etc/ssh.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { startDaemon, listeningBy, type Daemon } from './daemon.ts';
import type { SystemName } from './system.ts';

export const SSH_PORT = 22;
/**
 * How often the ssh client probes the server, and how many missed answers end it: 8 s,
 * long enough that an answer queued behind a bulk transfer in the one SSH stream does
 * not end the tunnel, short enough that autossh notices a dead path within seconds.
 */
export const SERVER_ALIVE_INTERVAL_S = 2;
export const SERVER_ALIVE_COUNT_MAX = 4;
/** Host alias used in the generated client config. */
export const SSH_HOST_ALIAS = 'relay';

export interface SshFiles {
  dir: string;
  sshdConfig: string;
  clientConfig: string;
}

async function keygen(file: string): Promise<string> {
  // A fresh key every start, even in a reused directory (ssh-keygen would ask to overwrite).
  await Promise.all([rm(file, { force: true }), rm(`${file}.pub`, { force: true })]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mplab', '-f', file], { timeout: 10_000 });
  return (await readFile(`${file}.pub`, 'utf8')).trim();
}

/**
 * Writes keys, sshd_config and the client config into `<logDir>/ssh`. The server listens
 * on `listenIp` only; the client config names it as host alias `relay`.
 */
export async function writeSshFiles(logDir: string, listenIp: string): Promise<SshFiles> {
  const dir = path.resolve(logDir, 'ssh');
  await mkdir(dir, { recursive: true });
  const hostKey = path.join(dir, 'host_ed25519');
  const clientKey = path.join(dir, 'id_ed25519');
  const hostPub = await keygen(hostKey);
  const clientPub = await keygen(clientKey);
  const authorizedKeys = path.join(dir, 'authorized_keys');
  const knownHosts = path.join(dir, 'known_hosts');
  await writeFile(authorizedKeys, `${clientPub}\n`, { mode: 0o600 });
  await writeFile(knownHosts, `${listenIp} ${hostPub}\n`);

  const sshdConfig = path.join(dir, 'sshd_config');
  await writeFile(
    sshdConfig,
    [
      `ListenAddress ${listenIp}:${SSH_PORT}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PidFile none',
      // Keys live in the run directory, not in a home with sshd's expected modes.
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'AllowTcpForwarding yes',
      'X11Forwarding no',
      'PrintMotd no',
      // Drop sessions whose client vanished, so a reconnect does not pile up sessions.
      `ClientAliveInterval ${SERVER_ALIVE_INTERVAL_S}`,
      `ClientAliveCountMax ${SERVER_ALIVE_COUNT_MAX}`,
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );

  const clientConfig = path.join(dir, 'ssh_config');
  await writeFile(
    clientConfig,
    [
      `Host ${SSH_HOST_ALIAS}`,
      `  HostName ${listenIp}`,
      `  Port ${SSH_PORT}`,
      '  User root',
      `  IdentityFile ${clientKey}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${knownHosts}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      // autossh -M 0 relies on these to notice a dead connection (ssh then exits 255).
      `  ServerAliveInterval ${SERVER_ALIVE_INTERVAL_S}`,
      `  ServerAliveCountMax ${SERVER_ALIVE_COUNT_MAX}`,
      '  ExitOnForwardFailure yes',
      '  ConnectTimeout 5',
      '  LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  return { dir, sshdConfig, clientConfig };
}

/** sshd needs its privilege-separation directory; the Debian package creates it at boot only. */
async function ensurePrivsepDir(): Promise<void> {
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
}

export interface SshdOptions {
  system: SystemName;
  ns: string;
  files: SshFiles;
  listenIp: string;
  logFile: string;
  wrap?: readonly string[];
}

export async function startSshd(options: SshdOptions): Promise<Daemon> {
  await ensurePrivsepDir();
  return startDaemon({
    system: options.system,
    label: 'sshd',
    ns: options.ns,
    wrap: options.wrap,
    // sshd re-executes itself and so wants an absolute path; -D foreground, -e log to stderr.
    command: '/usr/sbin/sshd',
    args: ['-D', '-e', '-f', options.files.sshdConfig],
    logFile: options.logFile,
    healthy: listeningBy(options.ns, options.listenIp, SSH_PORT),
  });
}

/** Arguments for `ssh` (or `autossh -M 0`) holding a SOCKS proxy on `socksBind` (ip:port). */
export function sshSocksArgs(files: SshFiles, socksBind: string): string[] {
  return ['-F', files.clientConfig, '-N', '-D', socksBind, SSH_HOST_ALIAS];
}
