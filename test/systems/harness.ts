// What every system test does around the system itself: start it in a topology with
// teardown, count TCP per link on gw-local, occupy a port to make a program fail, cut
// link A under an open download, and check that a failed start left nothing behind.
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { execa } from 'execa';
import { waitUntil } from '../../lab/systems/daemon.ts';
import type { RunningSystem, SystemAdapter } from '../../lab/systems/system.ts';
import { nsRun, nsSpawn } from '../../lab/topology/netns.ts';
import { DEV, type Topology } from '../../lab/topology/types.ts';
import { download, type TrafficServer, type TransferResult } from '../helpers/traffic.ts';

export const logDirOf = (topology: Topology, name: string) => path.join(topology.runDir, name);

export async function startSystem(t: ExecutionContext, adapter: SystemAdapter, topology: Topology): Promise<RunningSystem> {
  const running = await adapter.start(topology, logDirOf(topology, adapter.name));
  t.teardown(() => running.stop());
  return running;
}

export interface Outage {
  /** The download that was open when link A went down. */
  held: Promise<TransferResult>;
  /** When the outage began (performance.now()). */
  offAtMs: number;
  /** Ends the outage (the test's teardown does, if the test does not get there). */
  restore(): Promise<void>;
}

/** Opens a download held at the server, then takes link A down and lets the server answer: its bytes must cross on link B. */
export async function downloadAcrossOutage(t: ExecutionContext, topology: Topology, running: RunningSystem, server: TrafficServer): Promise<Outage> {
  const held = download(topology, running, server, '/hold', { maxTimeS: 60 });
  t.true(await server.waitHeld(1));
  await topology.links.a.setOutage(true);
  let restored = false;
  const restore = async () => {
    if (restored) return;
    restored = true;
    await topology.links.a.setOutage(false);
  };
  t.teardown(restore);
  server.release();
  return { held, offAtMs: performance.now(), restore };
}

const COUNTER_TABLE = 'mplab_test_link_tcp';

/** TCP packets gw-local received (rx) and sent (tx) on each link device. */
export interface LinkTcpPackets {
  a: { rx: number; tx: number };
  b: { rx: number; tx: number };
}

export const packetsBetween = (before: LinkTcpPackets, after: LinkTcpPackets): LinkTcpPackets => ({
  a: { rx: after.a.rx - before.a.rx, tx: after.a.tx - before.a.tx },
  b: { rx: after.b.rx - before.b.rx, tx: after.b.tx - before.b.tx },
});

/**
 * Counts TCP packets on gw-local's link devices (forwarded and its own) with nftables
 * counters: exact, unlike the link emulator's counters, which also see the kernel's
 * IPv6 housekeeping packets. tx counts what was sent, even into a link that is down.
 */
export async function countTcpPerLink(t: ExecutionContext, topology: Topology): Promise<() => Promise<LinkTcpPackets>> {
  const ns = topology.ns.gwLocal;
  await nsRun(ns, 'nft', ['-f', '-'], {
    input: `table ip ${COUNTER_TABLE} {
  counter a_rx {}
  counter a_tx {}
  counter b_rx {}
  counter b_tx {}
  chain rx { type filter hook prerouting priority -300; policy accept;
    iifname "${DEV.linkA}" meta l4proto tcp counter name a_rx
    iifname "${DEV.linkB}" meta l4proto tcp counter name b_rx
  }
  chain tx { type filter hook postrouting priority 300; policy accept;
    oifname "${DEV.linkA}" meta l4proto tcp counter name a_tx
    oifname "${DEV.linkB}" meta l4proto tcp counter name b_tx
  }
}
`,
  });
  t.teardown(() => nsRun(ns, 'nft', ['delete', 'table', 'ip', COUNTER_TABLE], { reject: false }));
  return async () => {
    const { stdout } = await nsRun(ns, 'nft', ['-j', 'list', 'counters', 'table', 'ip', COUNTER_TABLE]);
    const parsed = JSON.parse(String(stdout)) as { nftables: Array<{ counter?: { name: string; packets: number } }> };
    const packets = (name: string) => parsed.nftables.find((item) => item.counter?.name === name)?.counter?.packets ?? NaN;
    return { a: { rx: packets('a_rx'), tx: packets('a_tx') }, b: { rx: packets('b_rx'), tx: packets('b_tx') } };
  };
}

/** Makes `ip:port` busy in `ns` (a listener that holds it) so that a daemon cannot bind it. */
export async function occupyPort(t: ExecutionContext, ns: string, ip: string, port: number): Promise<number> {
  const script = `require('net').createServer().listen(${port}, '${ip}', () => console.log('bound'))`;
  const child = nsSpawn(ns, 'node', ['-e', script], { stdout: 'pipe', buffer: false });
  t.teardown(() => {
    child.kill('SIGKILL');
    return child.then(() => undefined);
  });
  let bound = false;
  child.stdout.once('data', () => (bound = true));
  if (!(await waitUntil(async () => bound, 10_000))) throw new Error(`could not occupy ${ip}:${port} in ${ns}`);
  return child.pid!;
}

export async function pidsIn(ns: string): Promise<number[]> {
  const { stdout } = await execa('ip', ['netns', 'pids', ns]);
  return stdout.split('\n').filter(Boolean).map(Number);
}

/** Pids running in the topology's namespaces, other than `except`. */
export async function pidsLeft(topology: Topology, except: readonly number[] = []): Promise<number[]> {
  const pids = (await Promise.all(Object.values(topology.ns).map(pidsIn))).flat();
  return pids.filter((pid) => !except.includes(pid));
}

/** nftables tables in gw-local other than the topology's own NAT. */
export async function extraTables(topology: Topology): Promise<string[]> {
  const { stdout } = await nsRun(topology.ns.gwLocal, 'nft', ['list', 'tables']);
  return String(stdout)
    .split('\n')
    .filter((line) => line && !line.includes('mplab_nat') && !line.includes(COUNTER_TABLE));
}

/** Stops the system and checks that it left no process (beyond `keep`) and no nftables table. */
export async function assertStopsClean(t: ExecutionContext, topology: Topology, running: RunningSystem, keep: readonly number[]): Promise<void> {
  await running.stop();
  t.deepEqual(await pidsLeft(topology, keep), [], `${running.name}: stop() left no process running`);
  t.deepEqual(await extraTables(topology), [], `${running.name}: stop() removed its nftables table`);
}
