// The scenario file schema: human units in, model values (bits/s, ms, bytes, 0..1) out.
// Strict objects everywhere: an unknown key is a typo, and a typo must not silently
// fall back to a default.
import { z } from 'zod';
import { parseDurationMs, parsePercent, parseRateBitsPerSec, parseSizeBytes, type Parsed } from './units.ts';
import type { DirectionModel, LinkModel, ScheduleEvent } from '../links/model.ts';

function unit(parse: (text: string) => Parsed, min: number, max: number, describe: (v: number) => string) {
  return z.string().transform((text, ctx) => {
    const parsed = parse(text);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    }
    if (parsed.value < min || parsed.value > max) {
      ctx.addIssue({ code: 'custom', message: `${text} is out of range: allowed ${describe(min)} to ${describe(max)}` });
      return z.NEVER;
    }
    return parsed.value;
  });
}

const rate = unit(parseRateBitsPerSec, 8_000, 10e9, (v) => `${v / 1e6}mbit`);
const delay = unit(parseDurationMs, 0, 5_000, (v) => `${v}ms`);
const probability = (maxPercent: number) => unit(parsePercent, 0, maxPercent / 100, (v) => `${v * 100}%`);
const queue = unit(parseSizeBytes, 1_500, 64 * 1024 ** 2, (v) => `${v}B`);
const duration = (maxMs: number) => unit(parseDurationMs, 1, maxMs, (v) => `${v}ms`);
/** A time within the schedule: 0s (at its start) is allowed. */
const scheduleTime = unit(parseDurationMs, 0, 3_600_000, (v) => `${v}ms`);

const burstLoss = z.strictObject({
  enter: probability(50),
  exit: probability(100),
  loss: probability(100),
});

const direction = z
  .strictObject({
    rate,
    delay,
    jitter: delay.prefault('0ms'),
    loss: probability(50).prefault('0%'),
    burst: burstLoss.optional(),
    queue,
  })
  .refine((d) => d.jitter <= d.delay, { message: 'jitter must not exceed delay (packets are never reordered)', path: ['jitter'] })
  .transform(
    (d): DirectionModel => ({
      rateBitsPerSec: d.rate,
      delayMs: d.delay,
      jitterMs: d.jitter,
      lossProbability: d.loss,
      ...(d.burst && { burstLoss: { enterProbability: d.burst.enter, exitProbability: d.burst.exit, lossInBurst: d.burst.loss } }),
      queueBytes: d.queue,
    }),
  );

const scheduleEvent = z.union([
  z.strictObject({ at: scheduleTime, outage: duration(600_000) }),
  z.strictObject({
    at: scheduleTime,
    rate: z.strictObject({ down: rate.optional(), up: rate.optional() }),
  }),
]);

function toSchedule(events: z.infer<typeof scheduleEvent>[]): ScheduleEvent[] {
  return events
    .flatMap((event): ScheduleEvent[] => {
      const atMs = event.at;
      if ('outage' in event) return [{ atMs, action: { kind: 'outage', durationMs: event.outage } }];
      return (['down', 'up'] as const).flatMap((dir) => {
        const bps = event.rate[dir];
        return bps === undefined ? [] : [{ atMs, action: { kind: 'rate', direction: dir, rateBitsPerSec: bps } } as ScheduleEvent];
      });
    })
    .sort((x, y) => x.atMs - y.atMs);
}

const link = z.strictObject({
  down: direction,
  up: direction,
  schedule: z.array(scheduleEvent).default([]),
});

/** `repeat: auto` runs at least this many repetitions, the fewest a cluster interval means anything with. */
export const MIN_AUTO_REPETITIONS = 3;
export const MAX_REPETITIONS = 100;

export const SYSTEM_NAMES = ['direct-tcp', 'direct-tcp-b', 'ssh-tunnel', 'redsocks-dante', 'redsocks-sshsocks', 'mptcp-direct', 'mprelay', 'mprelay-no-monitor', 'mprelay-kernel-defaults', 'mprelay-paths'] as const;
export const WORKLOAD_NAMES = ['connect', 'keyscan', 'hol', 'pageload', 'transfer', 'throughput', 'failover'] as const;
const LINK_NAMES = ['a', 'b'] as const;

/** A duration with a floor other than 1 ms: the message names the floor. */
const durationBetween = (minMs: number, maxMs: number) => unit(parseDurationMs, minMs, maxMs, (v) => `${v}ms`);

// Every attempt has a timeout: an attempt without its answer by then failed, and its
// latency enters the figures censored at the timeout.
const workloads = z.strictObject({
  connect: z
    .strictObject({
      connections: z.number().int().min(1).max(10_000),
      timeout: duration(120_000).prefault('10s'),
    })
    .optional(),
  keyscan: z
    .strictObject({
      // ssh-keyscan runs one after another against sshd in the server namespace.
      scans: z.number().int().min(1).max(1_000).default(5),
      timeout: duration(60_000).prefault('10s'),
    })
    .optional(),
  hol: z
    .strictObject({
      // The loaded phase; before it, `idle` with the interactive flow alone (rtt_idle_ms).
      duration: duration(600_000),
      idle: duration(60_000).prefault('2s'),
      bulkFlows: z.number().int().min(1).max(64).default(2),
      probeInterval: duration(10_000).prefault('100ms'),
      newConnectionInterval: duration(60_000).prefault('1s'),
      // Of each echo and each new connection.
      timeout: duration(60_000).prefault('5s'),
    })
    .optional(),
  pageload: z
    .strictObject({
      // Page loads with nothing else running, then as many while bulkFlows downloads run.
      pages: z.number().int().min(1).max(100).default(2),
      bulkFlows: z.number().int().min(1).max(64).default(2),
      timeout: duration(300_000).prefault('30s'),
    })
    .optional(),
  transfer: z
    .strictObject({
      // A file of `size`, fetched or sent `count` times one after another, each on a fresh
      // connection: what a person waits for, start-up included (unlike throughput's windows).
      size: unit(parseSizeBytes, 1024, 1024 ** 3, (v) => `${v}B`).prefault('4MB'),
      count: z.number().int().min(1).max(100).default(2),
      directions: z.array(z.enum(['down', 'up'])).min(1).default(['down', 'up']),
      timeout: duration(600_000).prefault('60s'),
    })
    .optional(),
  throughput: z
    .strictObject({
      // Each cell (direction x flow count) runs this long; its first `omit` is left out (ramp-up, as iperf3 --omit).
      duration: duration(600_000).prefault('10s'),
      omit: duration(60_000).prefault('2s'),
      flows: z.array(z.number().int().min(1).max(64)).min(1).default([1, 4]),
      directions: z.array(z.enum(['down', 'up'])).min(1).default(['down', 'up']),
    })
    .refine((t) => t.duration >= t.omit + 1000, { message: 'duration must be at least 1s longer than omit', path: ['duration'] })
    .optional(),
  failover: z
    .strictObject({
      // One window per link named, in this order: that link goes down for `outage`,
      // `before` after the window starts, and the window lasts until `after` past its return.
      // The workload plays these outages itself (a link's `schedule` is not played).
      links: z
        .array(z.enum(LINK_NAMES))
        .min(1)
        .default(['a'])
        .refine((links) => new Set(links).size === links.length, { message: 'each link at most once' }),
      // The last 2 s before the outage are the reference goodput for recovery_ms.
      before: durationBetween(2_000, 60_000).prefault('3s'),
      outage: duration(600_000).prefault('3s'),
      // At least 5 s: a retransmission backoff and a recovery fit, and so does every attempt's timeout.
      after: durationBetween(5_000, 600_000).prefault('5s'),
    })
    .optional(),
});

export const scenarioSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
    description: z.string().optional(),
    // Namespace defaults this kernel allows (cubic is only allowed per socket here).
    congestionControl: z.enum(['bbr', 'reno']).default('bbr'),
    linkBackend: z.enum(['auto', 'userspace', 'netem']).default('auto'),
    links: z.strictObject({ a: link, b: link }),
    systems: z.array(z.enum(SYSTEM_NAMES)).min(1).default([...SYSTEM_NAMES].filter((s) => s !== 'redsocks-sshsocks')),
    workloads: workloads.default({}),
    // Repetitions: a number, or `auto`: at least MIN_AUTO_REPETITIONS, then more while a
    // headline metric's interval is wider than `precision` around its median and the
    // `budget` (the whole run's wall time) allows another repetition.
    repeat: z.union([z.number().int().min(1).max(MAX_REPETITIONS), z.literal('auto')], { error: `a number of repetitions from 1 to ${MAX_REPETITIONS}, or auto` }).default(3),
    precision: unit(parsePercent, 0.001, 1, (v) => `${v * 100}%`).prefault('10%'),
    budget: duration(24 * 3_600_000).prefault('20m'),
    warmup: z.number().int().min(0).max(10).default(1),
    gate: z.strictObject({ rules: z.array(z.string().min(1)).default([]) }).default({ rules: [] }),
  })
  .transform((s) => ({
    ...s,
    links: {
      a: { name: 'a', down: s.links.a.down, up: s.links.a.up, schedule: toSchedule(s.links.a.schedule) } satisfies LinkModel,
      b: { name: 'b', down: s.links.b.down, up: s.links.b.up, schedule: toSchedule(s.links.b.schedule) } satisfies LinkModel,
    },
  }));

export type Scenario = z.output<typeof scenarioSchema>;
export type SystemNameInScenario = (typeof SYSTEM_NAMES)[number];
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];
