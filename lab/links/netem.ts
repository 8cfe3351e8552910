// The netem link backend: a veth pair named LINK_DEV[name], one end in each namespace,
// and on each end's egress one netem qdisc that does it all: rate, delay, jitter, loss,
// limit. The local end's egress is `up`, the remote end's is `down`.
//
// Done so that it behaves like the userspace emulator where it can:
// - No reordering: the rate is netem's own (`rate`), and with a rate netem gives each
//   packet a send time no earlier than the previous packet's, so its time-ordered queue
//   stays FIFO. (Delay and jitter in netem under an htb rate, as before, reordered.)
// - The same bytes: netem's rate counts the packet with its 14-byte Ethernet header, the
//   userspace emulator IP bytes only: the rate's packet overhead is -14, and the counters
//   subtract 14 bytes per packet. Offloads are off on both ends (ethtool -K gro gso tso
//   off), so netem sees MTU-sized packets, not 64 KB GSO super-packets.
//
// Where it differs (documented, not hidden):
// - netem's queue limit counts packets, not bytes: the byte limit becomes
//   queueBytes / 1500 packets plus the packets on the delay line at full rate, so a
//   queue of small packets holds more bytes than the model's.
// - Under load netem's jitter is absorbed by its rate queue (a send time is never before
//   the previous packet's), which raises the mean delay as clamping did in the userspace
//   emulator before its jitter process; the userspace backend is the reference for jitter.
// - netem counts queue overflow and random loss as one `drops` figure: it is
//   reported as lossDrops (queueDrops 0); drops while an outage is on are outageDrops.
// - an outage sets netem loss to 100 %: packets already in netem still arrive.
// - No lateness or applied-delay figures: the kernel's timers, not a process of ours.
import { ensurePackages } from '../engines/packages.ts';
import { execa } from 'execa';
import { nsRun } from '../topology/netns.ts';
import { LINK_DEV, type DirectionCounters, type LinkControl, type LinkCounters } from '../topology/types.ts';
import type { Direction, DirectionModel } from './model.ts';
import type { LinkStartOptions } from './userspace.ts';

const MTU_BYTES = 1500;
/** The Ethernet header netem's rate and byte counters include and IP bytes do not. */
export const ETHERNET_HEADER_BYTES = 14;
const ROOT = '1:';
const OFFLOADS_OFF = ['gro', 'off', 'gso', 'off', 'tso', 'off'];

function percent(probability: number): string {
  return `${Number((probability * 100).toPrecision(6))}%`;
}

/** netem's loss arguments: independent loss, or Gilbert-Elliott with the random loss folded into both states. */
export function netemLossArgs(model: DirectionModel): string[] {
  const burst = model.burstLoss;
  if (!burst) return model.lossProbability > 0 ? ['loss', 'random', percent(model.lossProbability)] : [];
  // gemodel p r 1-h 1-k: enter, exit, loss in the bad state, loss in the good state.
  const lossBad = 1 - (1 - model.lossProbability) * (1 - burst.lossInBurst);
  return ['loss', 'gemodel', percent(burst.enterProbability), percent(burst.exitProbability), percent(lossBad), percent(model.lossProbability)];
}

/** netem's packet limit standing in for the byte-bounded queue (see the header comment). */
export function netemLimitPackets(model: DirectionModel): number {
  const queuePackets = Math.ceil(model.queueBytes / MTU_BYTES);
  const inFlightPackets = Math.ceil((model.rateBitsPerSec * (model.delayMs + model.jitterMs)) / 1000 / 8 / MTU_BYTES);
  return queuePackets + inFlightPackets + 1;
}

/** The tc arguments of an end's root netem: `replace` to set it up, `change` for a new rate or an outage. */
export function netemArgs(dev: string, model: DirectionModel, verb: 'replace' | 'change', outage = false): string[] {
  const delay = model.delayMs > 0 || model.jitterMs > 0 ? ['delay', `${Math.round(model.delayMs * 1000)}us`, `${Math.round(model.jitterMs * 1000)}us`] : [];
  const rate = ['rate', `${Math.round(model.rateBitsPerSec)}bit`, String(-ETHERNET_HEADER_BYTES)];
  const loss = outage ? ['loss', 'random', '100%'] : netemLossArgs(model);
  return ['qdisc', verb, 'dev', dev, 'root', 'handle', ROOT, 'netem', 'limit', String(netemLimitPackets(model)), ...delay, ...rate, ...loss];
}

/** The ethtool arguments that turn off the offloads on one end (netem must see wire-sized packets). */
export function offloadsOffArgs(dev: string): string[] {
  return ['-K', dev, ...OFFLOADS_OFF];
}

export interface QdiscStats {
  kind: string;
  /** Including the Ethernet header. */
  bytes: number;
  packets: number;
  drops: number;
  /** Held now, bytes (with header) and packets. */
  backlog: number;
  qlen: number;
}

/** IP bytes of what a qdisc counted with Ethernet headers. */
export function ipBytes(bytesWithHeaders: number, packets: number): number {
  return bytesWithHeaders - ETHERNET_HEADER_BYTES * packets;
}

/** One direction's counters from its netem's stats (`outageDrops`: the drops counted while an outage was on). */
export function netemCounters(stats: QdiscStats, outageDrops: number): DirectionCounters {
  const sentBytes = ipBytes(stats.bytes, stats.packets);
  const backlogBytes = ipBytes(stats.backlog, stats.qlen);
  return {
    sentPackets: stats.packets,
    sentBytes,
    lossDrops: stats.drops - outageDrops,
    queueDrops: 0,
    outageDrops,
    // Dropped packets' sizes are not counted by netem: arrivals are what it sent and holds.
    arrivedBytes: sentBytes + backlogBytes,
    backlogBytes,
  };
}

async function qdiscStats(ns: string, dev: string): Promise<QdiscStats> {
  const { stdout } = await nsRun(ns, 'tc', ['-s', '-j', 'qdisc', 'show', 'dev', dev]);
  const netem = (JSON.parse(String(stdout)) as QdiscStats[]).find((s) => s.kind === 'netem');
  if (!netem) throw new Error(`no netem qdisc on ${dev} in ${ns}`);
  return netem;
}

const ETHTOOL = [{ debianPackages: ['ethtool'], commands: ['ethtool'] }];

export async function startNetemLink(opts: LinkStartOptions): Promise<LinkControl> {
  const { model } = opts;
  const dev = LINK_DEV[model.name];
  const label = `link ${model.name} (netem, ${dev})`;
  await ensurePackages(ETHTOOL, (line) => process.stderr.write(`${line}\n`));
  // Each end's namespace and the direction that leaves it.
  const ends: Record<Direction, { ns: string; model: DirectionModel }> = {
    up: { ns: opts.nsLocal, model: { ...model.up } },
    down: { ns: opts.nsRemote, model: { ...model.down } },
  };
  const tc = (direction: Direction, args: string[]) => nsRun(ends[direction].ns, 'tc', args);

  try {
    await execa('ip', ['link', 'add', dev, 'netns', opts.nsLocal, 'type', 'veth', 'peer', 'name', dev, 'netns', opts.nsRemote], { timeout: 10_000 });
    for (const direction of ['up', 'down'] as const) {
      await nsRun(ends[direction].ns, 'ethtool', offloadsOffArgs(dev));
      await nsRun(ends[direction].ns, 'ip', ['link', 'set', dev, 'mtu', String(MTU_BYTES), 'up']);
      await tc(direction, netemArgs(dev, ends[direction].model, 'replace'));
    }
  } catch (error) {
    await nsRun(opts.nsLocal, 'ip', ['link', 'del', dev], { reject: false });
    throw new Error(`${label}: setup failed: ${(error as Error).message}`);
  }

  // netem drops seen while an outage was on are outage drops, not loss.
  const outageDrops: Record<Direction, number> = { up: 0, down: 0 };
  let outageStartDrops: Record<Direction, number> | undefined;
  let outage = false;

  async function directionStats(direction: Direction): Promise<{ counters: DirectionCounters; drops: number }> {
    const stats = await qdiscStats(ends[direction].ns, dev);
    const duringOutage = outageStartDrops ? stats.drops - outageStartDrops[direction] : 0;
    return { drops: stats.drops, counters: netemCounters(stats, outageDrops[direction] + duringOutage) };
  }

  let stopped = false;
  return {
    name: model.name,
    backend: 'netem',
    model,
    async setOutage(down: boolean) {
      if (down === outage) return;
      const [up, dn] = await Promise.all([directionStats('up'), directionStats('down')]);
      if (down) outageStartDrops = { up: up.drops, down: dn.drops };
      else {
        outageDrops.up = up.counters.outageDrops;
        outageDrops.down = dn.counters.outageDrops;
        outageStartDrops = undefined;
      }
      outage = down;
      await Promise.all((['up', 'down'] as const).map((direction) => tc(direction, netemArgs(dev, ends[direction].model, 'change', down))));
    },
    async setRate(direction: Direction, rateBitsPerSec: number) {
      ends[direction].model.rateBitsPerSec = rateBitsPerSec;
      await tc(direction, netemArgs(dev, ends[direction].model, 'change', outage));
    },
    async counters(): Promise<LinkCounters> {
      const [up, down] = await Promise.all([directionStats('up'), directionStats('down')]);
      return { up: up.counters, down: down.counters };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Deleting one end of a veth pair deletes both.
      await nsRun(opts.nsLocal, 'ip', ['link', 'del', dev], { reject: false });
    },
  };
}
