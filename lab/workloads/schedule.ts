// Plays a link's scheduled outages and rate changes against the shared clock, starting
// from a probe's reference time, and records when each really took effect.
import type { ScheduleEvent } from '../links/model.ts';
import type { LinkControl } from '../topology/types.ts';
import { monotonicMs } from './probe/clock.ts';

export interface PlayedEvent {
  kind: 'outage' | 'rate';
  /** Monotonic ms when the link was down (or the rate set), and when it was back up. */
  startMs: number;
  endMs: number | null;
}

export interface SchedulePlayer {
  /** The events played so far. */
  readonly played: PlayedEvent[];
  /** Resolves once every event has been played (the schedule's last moment has passed). */
  allPlayed(): Promise<void>;
  /** Cancels what is still pending and puts the link back to its model (up, configured rates). */
  finish(): Promise<void>;
}

export function playSchedule(link: LinkControl, events: readonly ScheduleEvent[], refMs: number): SchedulePlayer {
  const played: PlayedEvent[] = [];
  const timers: NodeJS.Timeout[] = [];
  const actions: Promise<void>[] = [];
  const at = (offsetMs: number, action: () => Promise<void>) => {
    const delayMs = Math.max(0, refMs + offsetMs - monotonicMs());
    actions.push(new Promise<void>((resolve, reject) => timers.push(setTimeout(() => action().then(resolve, reject), delayMs))));
  };
  for (const event of events) {
    const { action } = event;
    if (action.kind === 'outage') {
      const entry: PlayedEvent = { kind: 'outage', startMs: 0, endMs: null };
      at(event.atMs, async () => {
        await link.setOutage(true);
        entry.startMs = monotonicMs();
        played.push(entry);
      });
      at(event.atMs + action.durationMs, async () => {
        await link.setOutage(false);
        entry.endMs = monotonicMs();
      });
    } else {
      at(event.atMs, async () => {
        await link.setRate(action.direction, action.rateBitsPerSec);
        played.push({ kind: 'rate', startMs: monotonicMs(), endMs: null });
      });
    }
  }
  return {
    played,
    async allPlayed() {
      await Promise.all(actions);
    },
    async finish() {
      for (const timer of timers) clearTimeout(timer);
      await link.setOutage(false);
      await link.setRate('down', link.model.down.rateBitsPerSec);
      await link.setRate('up', link.model.up.rateBitsPerSec);
    },
  };
}
