// A Docker engine by URL, as the docker CLI names them: unix:///path/to.sock (the local
// socket), tcp://host:port (TLS when DOCKER_TLS_VERIFY=1 or port 2376, with the
// certificates in DOCKER_CERT_PATH) or ssh://user@host[:port] (through the ssh agent).
// Parsed here, at the edge, so a typo is refused before anything starts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';

export const LOCAL_DOCKER_HOST = 'unix:///var/run/docker.sock';

export class DockerHostError extends Error {
  override name = 'DockerHostError';
}

/** One engine the lab runs containers on. */
export interface Engine {
  /** The URL it was given as, for messages and records. */
  url: string;
  docker: Docker;
}

/** The engine when none is given: DOCKER_HOST, else the local socket. */
export function defaultDockerHost(): string {
  return process.env.DOCKER_HOST || LOCAL_DOCKER_HOST;
}

function tlsOptions(port: string): Docker.DockerOptions {
  const certDir = process.env.DOCKER_CERT_PATH;
  if (process.env.DOCKER_TLS_VERIFY !== '1' && port !== '2376') return { protocol: 'http' };
  if (!certDir) return { protocol: 'https' };
  const read = (name: string) => readFileSync(path.join(certDir, name));
  return { protocol: 'https', ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

export function dockerOptions(url: string): Docker.DockerOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DockerHostError(`${JSON.stringify(url)} is not a Docker host URL (unix:///path.sock, tcp://host:port or ssh://user@host)`);
  }
  switch (parsed.protocol) {
    case 'unix:':
      if (!parsed.pathname || parsed.pathname === '/') throw new DockerHostError(`${url}: no socket path (unix:///var/run/docker.sock)`);
      // host: undefined, or dockerode would keep a tcp host from DOCKER_HOST over the socket.
      return { socketPath: parsed.pathname, host: undefined };
    case 'tcp:':
      if (!parsed.hostname || !parsed.port) throw new DockerHostError(`${url}: host and port needed (tcp://host:2375)`);
      return { host: parsed.hostname, port: Number(parsed.port), ...tlsOptions(parsed.port) };
    case 'ssh:':
      if (!parsed.hostname) throw new DockerHostError(`${url}: no host (ssh://user@host)`);
      return {
        protocol: 'ssh',
        host: parsed.hostname,
        port: parsed.port ? Number(parsed.port) : 22,
        ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
        sshOptions: { agent: process.env.SSH_AUTH_SOCK },
      };
    default:
      throw new DockerHostError(`${url}: unsupported scheme ${parsed.protocol} (allowed: unix://, tcp://, ssh://)`);
  }
}

export function connectEngine(url: string): Engine {
  return { url, docker: new Docker(dockerOptions(url)) };
}

/** Comma-separated engine URLs (--engines), each checked. */
export function engineList(value: string | undefined): string[] {
  const urls = (value ?? defaultDockerHost()).split(',').map((u) => u.trim()).filter(Boolean);
  if (urls.length === 0) throw new DockerHostError('--engines: no engine given');
  const duplicates = urls.filter((u, i) => urls.indexOf(u) !== i);
  if (duplicates.length > 0) throw new DockerHostError(`--engines: ${duplicates[0]} given twice (one cell at a time per engine)`);
  for (const url of urls) dockerOptions(url);
  return urls;
}
