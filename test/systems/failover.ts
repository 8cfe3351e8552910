// Records what a system does when link A goes down and comes back: does a connection
// that is open when the link fails carry its bytes while it is down, does a new
// connection work while it is down, do both work once it is back. The record is
// logged and returned; each test asserts what is true for its system.
import type { ExecutionContext } from 'ava';
import { sleep } from '../../lab/systems/daemon.ts';
import type { RunningSystem } from '../../lab/systems/system.ts';
import type { Topology } from '../../lab/topology/types.ts';
import { download, type TrafficServer, type TransferResult } from '../helpers/traffic.ts';
import { packetsBetween, type LinkTcpPackets } from './harness.ts';

/** How long an attempt may take while link A is down (MPTCP needs a few RTOs to give up on it). */
export const OUTAGE_ATTEMPT_S = 10;
const HELD_MAX_TIME_S = 60;

export interface FailoverRecord {
  system: string;
  /** The connection open before the outage received all its bytes while link A was still down. */
  openConnectionDeliveredDuringOutage: boolean;
  /** A new connection through the system completed a download while link A was down. */
  newConnectionDuringOutage: boolean;
  /** The connection open before the outage finished intact (bytes verified) in the end. */
  openConnectionSurvived: boolean;
  /** Milliseconds from link A going down until the open connection's transfer ended (measured, not asserted). */
  openConnectionEndedAfterMs: number;
  /** A new connection after link A came back completed a download. */
  newConnectionAfterOutage: boolean;
  /** TCP packets on gw-local's link devices while link A was down (tx into a down link is lost). */
  tcpPacketsDuringOutage: LinkTcpPackets;
}

const intact = (result: TransferResult | undefined, server: TrafficServer) =>
  result !== undefined && result.ok && result.sha256 === server.downloadSha256;

export async function recordFailover(
  t: ExecutionContext,
  topology: Topology,
  system: RunningSystem,
  server: TrafficServer,
  tcpPerLink: () => Promise<LinkTcpPackets>,
): Promise<FailoverRecord> {
  let heldResult: TransferResult | undefined;
  let heldEndedAt = NaN;
  const held = download(topology, system, server, '/hold', { maxTimeS: HELD_MAX_TIME_S }).then((result) => {
    heldEndedAt = performance.now();
    heldResult = result;
  });
  t.true(await server.waitHeld(1), 'the held connection reached the server');

  const before = await tcpPerLink();
  await topology.links.a.setOutage(true);
  const outageStartedAt = performance.now();
  let linkRestored = false;
  t.teardown(() => (linkRestored ? undefined : topology.links.a.setOutage(false)));
  // The server answers the held request now: its bytes must find a way without link A.
  // A new connection is tried at the same time, within the same window.
  server.release();
  const [during] = await Promise.all([
    download(topology, system, server, '/download', { maxTimeS: OUTAGE_ATTEMPT_S }),
    Promise.race([held, sleep(OUTAGE_ATTEMPT_S * 1000)]),
  ]);
  const openConnectionDeliveredDuringOutage = intact(heldResult, server);
  const after = await tcpPerLink();
  await topology.links.a.setOutage(false);
  linkRestored = true;

  await held;
  const afterOutage = await download(topology, system, server, '/download', { maxTimeS: 30 });
  const record: FailoverRecord = {
    system: system.name,
    openConnectionDeliveredDuringOutage,
    newConnectionDuringOutage: intact(during, server),
    openConnectionSurvived: intact(heldResult, server),
    openConnectionEndedAfterMs: Math.round(heldEndedAt - outageStartedAt),
    newConnectionAfterOutage: intact(afterOutage, server),
    tcpPacketsDuringOutage: packetsBetween(before, after),
  };
  t.log(`failover of ${system.name}: ${JSON.stringify(record)}`);
  return record;
}

/**
 * What every system that opens one MPTCP connection per client connection does: the
 * open connection carries on over link B, but a new one cannot start, because its
 * initial subflow follows the default route over link A.
 */
export function assertMptcpPerConnectionFailover(t: ExecutionContext, record: FailoverRecord): void {
  t.true(record.openConnectionDeliveredDuringOutage, 'the open connection carried on over link B');
  t.true(record.tcpPacketsDuringOutage.b.rx > 0);
  t.false(record.newConnectionDuringOutage, 'the initial subflow of a new connection follows the default route, over link A');
  t.true(record.openConnectionSurvived);
  t.true(record.newConnectionAfterOutage);
}
