// The netem link backend: a veth pair named LINK_DEV[name], one end in each namespace,
// and on each end's egress an htb class for the rate with a netem leaf for delay,
// jitter and loss. The local end's egress is `up`, the remote end's is `down`.
//
// Where it differs from the userspace backend (documented, not hidden):
// - netem's queue limit counts packets, not bytes: the byte limit becomes
//   queueBytes / 1500 packets plus the packets on the delay line at full rate.
// - netem counts queue overflow and random loss as one `drops` figure: it is
//   reported as lossDrops (queueDrops 0); drops while an outage is on are outageDrops.
// - an outage sets netem loss to 100 %: packets already on the delay line still arrive.
import { execa } from 'execa';
import { nsRun } from '../topology/netns.ts';
import { LINK_DEV, type DirectionCounters, type LinkControl, type LinkCounters } from '../topology/types.ts';
import type { Direction, DirectionModel } from './model.ts';
import type { LinkStartOptions } from './userspace.ts';

const MTU_BYTES = 1500;
const ROOT = '1:';
const CLASS = '1:1';
const LEAF = '10:';

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

export function netemLeafArgs(dev: string, model: DirectionModel, outage = false): string[] {
  const delay = model.delayMs > 0 || model.jitterMs > 0 ? ['delay', `${Math.round(model.delayMs * 1000)}us`, `${Math.round(model.jitterMs * 1000)}us`] : [];
  const loss = outage ? ['loss', 'random', '100%'] : netemLossArgs(model);
  return ['qdisc', 'replace', 'dev', dev, 'parent', CLASS, 'handle', LEAF, 'netem', 'limit', String(netemLimitPackets(model)), ...delay, ...loss];
}

export function htbClassArgs(dev: string, verb: 'add' | 'change', rateBitsPerSec: number): string[] {
  const rate = `${Math.round(rateBitsPerSec)}bit`;
  return ['class', verb, 'dev', dev, 'parent', ROOT, 'classid', CLASS, 'htb', 'rate', rate, 'ceil', rate];
}

/** The tc commands (argv after `tc`) that shape one end's egress with one direction's model. */
export function netemSetupCommands(dev: string, model: DirectionModel): string[][] {
  return [
    ['qdisc', 'replace', 'dev', dev, 'root', 'handle', ROOT, 'htb', 'default', '1'],
    htbClassArgs(dev, 'add', model.rateBitsPerSec),
    netemLeafArgs(dev, model),
  ];
}

interface QdiscStats {
  kind: string;
  bytes: number;
  packets: number;
  drops: number;
}

async function qdiscStats(ns: string, dev: string): Promise<QdiscStats[]> {
  const { stdout } = await nsRun(ns, 'tc', ['-s', '-j', 'qdisc', 'show', 'dev', dev]);
  return JSON.parse(String(stdout)) as QdiscStats[];
}

export async function startNetemLink(opts: LinkStartOptions): Promise<LinkControl> {
  const { model } = opts;
  const dev = LINK_DEV[model.name];
  const label = `link ${model.name} (netem, ${dev})`;
  // Each end's namespace and the direction that leaves it.
  const ends: Record<Direction, { ns: string; model: DirectionModel }> = {
    up: { ns: opts.nsLocal, model: { ...model.up } },
    down: { ns: opts.nsRemote, model: { ...model.down } },
  };
  const tc = (direction: Direction, args: string[]) => nsRun(ends[direction].ns, 'tc', args);

  try {
    await execa('ip', ['link', 'add', dev, 'netns', opts.nsLocal, 'type', 'veth', 'peer', 'name', dev, 'netns', opts.nsRemote], { timeout: 10_000 });
    for (const direction of ['up', 'down'] as const) {
      await nsRun(ends[direction].ns, 'ip', ['link', 'set', dev, 'mtu', String(MTU_BYTES), 'up']);
      for (const args of netemSetupCommands(dev, ends[direction].model)) await tc(direction, args);
    }
  } catch (error) {
    await nsRun(opts.nsLocal, 'ip', ['link', 'del', dev], { reject: false });
    throw new Error(`${label}: setup failed: ${(error as Error).message}`);
  }

  // netem drops seen while an outage was on are outage drops, not loss.
  const outageDrops: Record<Direction, number> = { up: 0, down: 0 };
  let outageStartDrops: Record<Direction, number> | undefined;

  async function directionCounters(direction: Direction): Promise<{ counters: DirectionCounters; netemDrops: number }> {
    const stats = await qdiscStats(ends[direction].ns, dev);
    const root = stats.find((s) => s.kind === 'htb');
    const leaf = stats.find((s) => s.kind === 'netem');
    const netemDrops = leaf?.drops ?? 0;
    const duringOutage = outageStartDrops ? netemDrops - outageStartDrops[direction] : 0;
    const outage = outageDrops[direction] + duringOutage;
    return {
      netemDrops,
      counters: { sentPackets: root?.packets ?? 0, sentBytes: root?.bytes ?? 0, lossDrops: netemDrops - outage, queueDrops: 0, outageDrops: outage },
    };
  }

  let stopped = false;
  return {
    name: model.name,
    backend: 'netem',
    model,
    async setOutage(down: boolean) {
      if (down === (outageStartDrops !== undefined)) return;
      if (down) {
        const [up, dn] = await Promise.all([directionCounters('up'), directionCounters('down')]);
        outageStartDrops = { up: up.netemDrops, down: dn.netemDrops };
      } else {
        const [up, dn] = await Promise.all([directionCounters('up'), directionCounters('down')]);
        outageDrops.up = up.counters.outageDrops;
        outageDrops.down = dn.counters.outageDrops;
        outageStartDrops = undefined;
      }
      await Promise.all((['up', 'down'] as const).map((direction) => tc(direction, netemLeafArgs(dev, ends[direction].model, down))));
    },
    async setRate(direction: Direction, rateBitsPerSec: number) {
      ends[direction].model.rateBitsPerSec = rateBitsPerSec;
      await tc(direction, htbClassArgs(dev, 'change', rateBitsPerSec));
    },
    async counters(): Promise<LinkCounters> {
      const [up, down] = await Promise.all([directionCounters('up'), directionCounters('down')]);
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
