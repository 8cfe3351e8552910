// The flap soak (issue 11): on lossy-wisp's links, link A goes down 100 times for 2 s,
// with seeded random gaps of 1-5 s, under 4 long downloads through mprelay (started as
// the lab starts it), whose every byte the probe checks against its pattern. No byte may
// be corrupted and no download connection lost: each must still be open and delivering
// at the end. It prints what happened (goodput inside and between outages, stalls,
// mprelay's endpoint changes, the kernel's MPTCP counters). About 9 minutes, so it runs
// only with MPLAB_LONG_TESTS=1 (.ci/run sets it). Replay a run: MPLAB_FLAP_SEED=<seed>.
import { randomInt } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { quantile } from 'simple-statistics';
import { waitUntil } from '../../lab/systems/daemon.ts';
import { localMetric, mprelay } from '../../lab/systems/mprelay.ts';
import { ADDR, type Topology } from '../../lab/topology/types.ts';
import { FIGURE_BIN_MS } from '../../lab/workloads/failover-figures.ts';
import { counterDelta, nstatCounters, type CounterSet } from '../../lab/workloads/evidence.ts';
import { monotonicMs } from '../../lab/workloads/probe/clock.ts';
import type { ClientResult } from '../../lab/workloads/probe/plan.ts';
import { PROBE_TARGET, startClientProbe, startServerProbe } from '../../lab/workloads/probes.ts';
import { playSchedule, type SchedulePlayer } from '../../lab/workloads/schedule.ts';
import { longTest } from '../helpers/long.ts';
import { testScenario, useTopology } from '../helpers/topology.ts';
import { betweenOutages, endpointChanges, endpointReactions, flapSchedule, flowFigures, goodputIn, playedOutages, stallsMs, whereInFlaps, type FlapPlan, type Span } from './flap.ts';
import { logDirOf, startSystem } from './harness.ts';
import { endpointAddresses } from './sockets.ts';

const PLAN: FlapPlan = { outages: 100, outageMs: 2_000, gapMinMs: 1_000, gapMaxMs: 5_000, leadMs: 5_000 };
const DOWNLOADS = 4;
/** After the last outage: every download must still deliver in its last DELIVERING_MS. */
const TAIL_MS = 10_000;
const DELIVERING_MS = 5_000;

type BulkResult = Extract<ClientResult, { mode: 'bulk' }>;

const soak = longTest('mprelay flap soak, ~9 min');

/** The seed to replay (MPLAB_FLAP_SEED), or a fresh one. */
function flapSeed(given: string | undefined): number {
  if (given === undefined || given === '') return randomInt(2 ** 31);
  if (!/^\d{1,10}$/.test(given) || Number(given) >= 2 ** 32) throw new Error(`MPLAB_FLAP_SEED must be an integer in [0, 2^32), got "${given}"`);
  return Number(given);
}

/** MPTcpExt counters of gw-local and gw-remote. */
async function mptcpCounters(topology: Topology): Promise<{ local: CounterSet; remote: CounterSet }> {
  const only = (set: CounterSet) => Object.fromEntries(Object.entries(set).filter(([name]) => name.startsWith('MPTcpExt')));
  return { local: only(await nstatCounters(topology.ns.gwLocal)), remote: only(await nstatCounters(topology.ns.gwRemote)) };
}

/** The local's counters the soak reports: link verdicts, endpoint changes, errors. */
async function relayCounters(topology: Topology) {
  const m = (name: string, labels: Record<string, string> = {}) => localMetric(topology, name, labels);
  return {
    aDown: await m('mprelay_link_transitions_total', { link: 'a', to: 'down' }),
    aUp: await m('mprelay_link_transitions_total', { link: 'a', to: 'up' }),
    bDown: await m('mprelay_link_transitions_total', { link: 'b', to: 'down' }),
    removed: await m('mprelay_link_switches_total', { link: 'a', action: 'remove', result: 'ok' }),
    restored: await m('mprelay_link_switches_total', { link: 'a', action: 'remove-undo', result: 'ok' }),
    switchFailures: await m('mprelay_link_switches_total', { result: 'failed' }),
    errors: await m('mprelay_errors_total'),
  };
}

/** Keeps mprelay's logs and the soak's record where the topology's teardown does not remove them; returns the directory. */
async function keepEvidence(topology: Topology, seed: number, record: unknown): Promise<string> {
  const dir = path.join(tmpdir(), `mplab-flap-soak-${seed}-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  const logDir = logDirOf(topology, 'mprelay');
  for (const file of ['mprelay-local.log', 'mprelay-remote.log', 'client-probe.log', 'server-probe.log']) await copyFile(path.join(logDir, file), path.join(dir, file)).catch(() => undefined);
  await writeFile(path.join(dir, 'soak.json'), JSON.stringify(record));
  return dir;
}

/** The local's log lines about links within ±windowMs of `atMs` (reference clock), for a lost connection's report. */
function linkLogAround(log: string, wallAtRefMs: number, atMs: number, windowMs: number): string[] {
  return log.split('\n').filter((line) => {
    const time = /"time":"([^"]+)"/.exec(line)?.[1];
    return time !== undefined && /"msg":"link/.test(line) && Math.abs(Date.parse(time) - wallAtRefMs - atMs) <= windowMs;
  });
}

async function runSoak(t: ExecutionContext, topology: Topology, durationMs: number, schedule: ReturnType<typeof flapSchedule>) {
  const running = await startSystem(t, mprelay, topology);
  const logDir = logDirOf(topology, 'mprelay');
  const server = await startServerProbe(topology, running, path.join(logDir, 'server-probe.log'));
  t.teardown(() => server.daemon.stop());
  const client = await startClientProbe(topology, running, path.join(logDir, 'client-probe.log'));
  t.teardown(() => client.stop());
  t.true(await waitUntil(async () => (await localMetric(topology, 'mprelay_link_up')) === 2, 5_000), 'the monitor sees both links up');

  const before = { kernel: await mptcpCounters(topology), relay: await relayCounters(topology) };
  let player: SchedulePlayer | undefined;
  let wallAtRefMs = NaN;
  let result: ClientResult;
  try {
    result = await client.run(
      { mode: 'bulk', target: PROBE_TARGET, direction: 'down', flows: DOWNLOADS, durationMs, binMs: FIGURE_BIN_MS },
      {
        timeoutMs: durationMs + 60_000,
        onStarted: (refMs) => {
          wallAtRefMs = Date.now() - (monotonicMs() - refMs);
          player = playSchedule(topology.links.a, schedule, refMs);
        },
      },
    );
    await player?.allPlayed();
  } finally {
    await player?.finish();
  }
  if (result.mode !== 'bulk' || !player) throw new Error(`the client probe answered a ${result.mode} plan`);
  const after = { kernel: await mptcpCounters(topology), relay: await relayCounters(topology) };
  return { result: result as BulkResult, played: player.played, wallAtRefMs, before, after };
}

soak('mprelay flap soak: 100 outages of link A (2 s, seeded gaps of 1-5 s) under 4 downloads: 0 corrupted bytes, 0 lost connections', async (t) => {
  const seed = flapSeed(process.env.MPLAB_FLAP_SEED);
  const schedule = flapSchedule(seed, PLAN);
  const durationMs = schedule.at(-1)!.atMs + PLAN.outageMs + TAIL_MS;
  t.timeout(durationMs + 5 * 60_000, 'the flap soak ran past its plan by 5 minutes');
  t.log(`seed ${seed} (replay with MPLAB_FLAP_SEED=${seed}): ${PLAN.outages} outages of link A, ${PLAN.outageMs} ms each, gaps ${PLAN.gapMinMs}-${PLAN.gapMaxMs} ms; ${DOWNLOADS} downloads for ${(durationMs / 1000).toFixed(1)} s`);

  const topology = await useTopology(t, await testScenario('lossy-wisp'));
  const { result, played, wallAtRefMs, before, after } = await runSoak(t, topology, durationMs, schedule);
  const outages = playedOutages(played, result.refMs);
  const endMs = result.untilMs - result.refMs;
  const localLog = await readFile(path.join(logDirOf(topology, 'mprelay'), 'mprelay-local.log'), 'utf8');

  const gapText = (gap: Span | null) => (gap ? `${Math.round(gap.endMs - gap.startMs)} ms, from ${whereInFlaps(outages, gap.startMs)} to ${whereInFlaps(outages, gap.endMs)}` : 'none');
  const figures = result.flows.map((flow) => flowFigures(flow, outages, endMs, DELIVERING_MS));
  const during = goodputIn(result.flows, outages);
  const between = goodputIn(result.flows, betweenOutages(outages));
  const reactions = endpointReactions(outages, endpointChanges(localLog, 'a', wallAtRefMs));
  const relay = Object.fromEntries(Object.entries(after.relay).map(([k, v]) => [k, v - before.relay[k as keyof typeof before.relay]]));
  t.log(`outages played: ${outages.length} (${(outages.reduce((s, o) => s + o.endMs - o.startMs, 0) / 1000).toFixed(1)} s of link A down in ${(endMs / 1000).toFixed(1)} s)`);
  result.flows.forEach((flow, i) => {
    const f = figures[i]!;
    t.log(
      `download ${i + 1}: ${(f.bytes / 1e6).toFixed(1)} MB verified, ${flow.verified ? 'no corrupted byte' : 'CORRUPTED'}, ${flow.error ?? 'open to the end'}; ` +
        `longest stall ${gapText(f.longestGap)}; silent between outages: ${f.silentBetweenOutages}; last ${DELIVERING_MS / 1000} s: ${(f.bytesAtEnd / 1e3).toFixed(0)} kB`,
    );
  });
  const stalls = result.flows.flatMap((flow) => stallsMs(flow, result.refMs, outages, endMs));
  t.log(
    `stall per outage and download (n=${stalls.length}, one run): p50 ${Math.round(quantile(stalls, 0.5))} ms, p90 ${Math.round(quantile(stalls, 0.9))} ms, max ${Math.round(Math.max(...stalls))} ms; ` +
      `over 1 s: ${stalls.filter((ms) => ms > 1_000).length}`,
  );
  t.log(`goodput of the 4 together: ${during.mbps.toFixed(2)} Mbit/s during outages (${during.seconds.toFixed(0)} s; link B carries 8), ${between.mbps.toFixed(2)} Mbit/s between them (${between.seconds.toFixed(0)} s; A + B carry 20)`);
  t.log(`mprelay local: link A down ${relay.aDown}x, up ${relay.aUp}x; endpoint removed ${relay.removed}x, re-added ${relay.restored}x, failed changes ${relay.switchFailures}; link B down ${relay.bDown}x; errors ${relay.errors}`);
  t.log(
    `endpoint off in ${reactions.off.reacted}/${outages.length} outages, ${reactions.off.p50Ms} ms p50 / ${reactions.off.maxMs} ms max after the outage began; ` +
      `back in ${reactions.on.reacted}/${outages.length}, ${reactions.on.p50Ms} ms p50 / ${reactions.on.maxMs} ms max after it ended (from the local's log, ms resolution)`,
  );
  t.log(`MPTcpExt gw-local: ${JSON.stringify(counterDelta(before.kernel.local, after.kernel.local))}`);
  t.log(`MPTcpExt gw-remote: ${JSON.stringify(counterDelta(before.kernel.remote, after.kernel.remote))}`);

  const lost = result.flows.flatMap((flow, i) => (flow.error === null ? [] : [{ download: i + 1, error: flow.error, lastByteMs: flow.lastMs === null ? null : flow.lastMs - result.refMs }]));
  const corrupted = result.flows.filter((flow) => !flow.verified).length;
  const stuck = figures.filter((f) => f.bytesAtEnd === 0).length;
  if (lost.length > 0 || corrupted > 0 || stuck > 0) {
    for (const l of lost) {
      const at = l.lastByteMs ?? 0;
      t.log(`download ${l.download} LOST: ${l.error}; last byte at +${(at / 1000).toFixed(3)} s (${new Date(wallAtRefMs + at).toISOString()}), ${whereInFlaps(outages, at)}`);
      for (const line of linkLogAround(localLog, wallAtRefMs, at, 5_000)) t.log(`  local: ${line}`);
    }
    const remoteLog = await readFile(path.join(logDirOf(topology, 'mprelay'), 'mprelay-remote.log'), 'utf8').catch(() => '');
    for (const [side, log] of [['local', localLog], ['remote', remoteLog]] as const) {
      for (const line of log.split('\n').filter((l) => /"level":"(warn|error)"/.test(l)).slice(0, 20)) t.log(`  ${side}: ${line}`);
    }
    const dir = await keepEvidence(topology, seed, { seed, plan: PLAN, outages, wallAtRefMs, refMs: result.refMs, lost, figures, flows: result.flows });
    t.log(`mprelay's logs and the soak's record kept in ${dir}`);
  }

  t.is(outages.length, PLAN.outages, 'every outage was played to its end');
  t.is(corrupted, 0, 'no corrupted byte: every download verified against its pattern');
  t.deepEqual(lost, [], 'no download connection lost');
  t.is(stuck, 0, `every download still delivered in its last ${DELIVERING_MS / 1000} s`);
  t.is(relay.switchFailures, 0, 'every endpoint change the local tried succeeded');
  t.true(await waitUntil(async () => (await endpointAddresses(topology.ns.gwLocal)).includes(ADDR.gwLocalLinkA), 5_000), 'link A’s endpoint is back at the end');
});
