// Real traffic through a system under test: a small HTTP server (traffic-server.mjs) in
// the server namespace and curl in the client namespace, both under the system's wrap
// (mptcpize for mptcp-direct). Bytes are checked by sha256 both ways: download (server
// -> client) and upload (POST body, client -> server, hashed by the server).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import type { ExecutionContext } from 'ava';
import { waitUntil } from '../../lab/systems/daemon.ts';
import type { RunningSystem } from '../../lab/systems/system.ts';
import { nsRun, nsSpawn } from '../../lab/topology/netns.ts';
import { ADDR, type Topology } from '../../lab/topology/types.ts';

export const SERVER_PORT = 8080;
const SERVER_SCRIPT = path.resolve(import.meta.dirname, 'traffic-server.mjs');
const DEFAULT_BYTES = 2 * 1024 * 1024;
const SERVER_START_TIMEOUT_MS = 15_000;
const HELD_TIMEOUT_MS = 20_000;

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export interface TrafficServer {
  readonly pid: number;
  readonly url: string;
  readonly dir: string;
  readonly downloadSha256: string;
  readonly downloadBytes: number;
  /** Resolves true once at least `count` /hold requests wait at the server. */
  waitHeld(count: number, timeoutMs?: number): Promise<boolean>;
  /** Answers every waiting /hold request. */
  release(): void;
}

/** Starts the server in the server namespace; it is stopped in the test's teardown. */
export async function startTrafficServer(
  t: ExecutionContext,
  topology: Topology,
  system: RunningSystem,
  downloadBytes = DEFAULT_BYTES,
): Promise<TrafficServer> {
  const dir = path.join(topology.runDir, 'traffic');
  await mkdir(dir, { recursive: true });
  const downloadFile = path.join(dir, 'download.bin');
  const data = randomBytes(downloadBytes);
  await writeFile(downloadFile, data);

  const [file, ...args] = [...system.wrap.server, 'node', SERVER_SCRIPT, String(SERVER_PORT), downloadFile] as unknown as [string, ...string[]];
  const child = nsSpawn(topology.ns.server, file, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'inherit', buffer: false });
  t.teardown(async () => {
    child.kill('SIGTERM');
    await child;
    await rm(dir, { recursive: true, force: true });
  });
  let listening = false;
  let held = 0;
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'listening') listening = true;
    const match = /^held (\d+)$/.exec(line);
    if (match) held = Number(match[1]);
  });
  if (!(await waitUntil(async () => listening, SERVER_START_TIMEOUT_MS))) throw new Error('traffic server did not start listening');
  return {
    pid: child.pid!,
    url: `http://${ADDR.server}:${SERVER_PORT}`,
    dir,
    downloadSha256: sha256(data),
    downloadBytes,
    waitHeld: (count, timeoutMs = HELD_TIMEOUT_MS) => waitUntil(async () => held >= count, timeoutMs),
    release: () => child.stdin.write('release\n'),
  };
}

export interface CurlOptions {
  /** curl's --max-time, seconds. */
  maxTimeS?: number;
}

function curl(topology: Topology, system: RunningSystem, curlArgs: string[], options: CurlOptions) {
  const [file, ...args] = [...system.wrap.client, 'curl', '-sS', '--fail', '--max-time', String(options.maxTimeS ?? 30), ...curlArgs] as [
    string,
    ...string[],
  ];
  return nsRun(topology.ns.client, file, args, { timeout: ((options.maxTimeS ?? 30) + 10) * 1000, reject: false });
}

export interface TransferResult {
  ok: boolean;
  bytes: number;
  sha256: string;
  /** curl's error when it failed. */
  error?: string;
}

let transferCount = 0;

/** Downloads `route` (/download or /hold) from the server; the bytes received, hashed. */
export async function download(topology: Topology, system: RunningSystem, server: TrafficServer, route = '/download', options: CurlOptions = {}): Promise<TransferResult> {
  const out = path.join(server.dir, `received-${++transferCount}.bin`);
  const result = await curl(topology, system, ['-o', out, `${server.url}${route}`], options);
  const data = await readFile(out).catch(() => Buffer.alloc(0));
  await rm(out, { force: true });
  return { ok: result.exitCode === 0, bytes: data.length, sha256: sha256(data), error: result.exitCode === 0 ? undefined : String(result.stderr) };
}

export interface UploadResult extends TransferResult {
  /** What the server received and from which address it saw the connection. */
  received?: { bytes: number; sha256: string; peer: string };
}

export async function upload(topology: Topology, system: RunningSystem, server: TrafficServer, bytes = DEFAULT_BYTES, options: CurlOptions = {}): Promise<UploadResult> {
  const data = randomBytes(bytes);
  const file = path.join(server.dir, `upload-${++transferCount}.bin`);
  await writeFile(file, data);
  const result = await curl(topology, system, ['-H', 'Expect:', '-H', 'Content-Type: application/octet-stream', '--data-binary', `@${file}`, `${server.url}/upload`], options);
  await rm(file, { force: true });
  const ok = result.exitCode === 0;
  return {
    ok,
    bytes,
    sha256: sha256(data),
    error: ok ? undefined : String(result.stderr),
    received: ok ? (JSON.parse(String(result.stdout)) as UploadResult['received']) : undefined,
  };
}

/** Asserts that bytes cross the system intact both ways; returns the peer address the server saw. */
export async function assertBytesBothWays(t: ExecutionContext, topology: Topology, system: RunningSystem, server: TrafficServer): Promise<string> {
  const down = await download(topology, system, server);
  t.true(down.ok, down.error);
  t.is(down.bytes, server.downloadBytes, 'download: byte count');
  t.is(down.sha256, server.downloadSha256, 'download: sha256');
  const up = await upload(topology, system, server);
  t.true(up.ok, up.error);
  t.is(up.received?.bytes, up.bytes, 'upload: byte count at the server');
  t.is(up.received?.sha256, up.sha256, 'upload: sha256 at the server');
  return up.received?.peer ?? '';
}
