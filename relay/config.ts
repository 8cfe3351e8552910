// mprelay's config files: YAML, validated with zod. Every error names the file, the
// line and the field. Durations are milliseconds or seconds, as their names say.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';

const port = z.int().min(0).max(65535);
const ip = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });
const endpoint = z.strictObject({ address: ip, port });
const durationMs = z.int().min(1).max(24 * 3600 * 1000);
const cidr = z.union([z.cidrv4(), z.cidrv6()], { error: 'must be a CIDR like 10.0.0.0/8' });

const secret = z
  .string()
  .transform((text, ctx) => {
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length < 16 || bytes.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) {
      ctx.addIssue({ code: 'custom', message: 'must be base64 of at least 16 random bytes (e.g. `openssl rand -base64 32`)' });
      return z.NEVER;
    }
    return bytes;
  });
const key = z.strictObject({ id: z.int().min(0).max(255), secret });

const keepalive = z
  .strictObject({ idleSec: z.int().min(1).max(7200), intervalSec: z.int().min(1).max(600), count: z.int().min(1).max(50) })
  .default({ idleSec: 60, intervalSec: 10, count: 6 });

/**
 * Bytes a relayed socket may hold written but not yet sent (TCP_NOTSENT_LOWAT), per
 * connection and direction; past it the relay stops reading the other side, so the
 * backlog stays with the sender and a cancelled transfer leaves little to drain. Below
 * one bandwidth-delay product of any link worth relaying over (the kernel still holds
 * what is in flight, a window's worth), above what the kernel sends while the relay's
 * event loop is busy. 0: the kernel's default (no bound but the send buffer, up to 4 MB).
 */
const notSentLowatBytes = z.int().min(0).max(64 * 1024 * 1024).default(32 * 1024);

const metrics = z.strictObject({ address: ip, port }).optional();
const log = z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error']) }).default({ level: 'info' });

/**
 * The link probes (both sides): one every intervalMs per link (a quarter of it while the
 * link is not up); down after downAfterMs of silence, up after upAfter answers in a row.
 * A capacity train (capacity-meter.ts: 8 datagrams of 1200 bytes each way) per link that
 * is up every capacityEveryMs, and when it comes up; 0: none.
 */
const probes = z
  .strictObject({
    intervalMs: z.int().min(10).max(10_000),
    downAfterMs: z.int().min(50).max(60_000),
    upAfter: z.int().min(1).max(100),
    capacityEveryMs: z.int().min(0).max(3_600_000).default(30_000),
  })
  .refine((p) => p.downAfterMs >= 2 * p.intervalMs, 'probes.downAfterMs must be at least two intervals')
  .refine((p) => p.capacityEveryMs === 0 || p.capacityEveryMs >= 1000, 'probes.capacityEveryMs must be 0 (no capacity trains) or at least 1000')
  .default({ intervalMs: 100, downAfterMs: 300, upAfter: 3, capacityEveryMs: 30_000 });

const link = z.strictObject({
  /** A name for logs and metrics (`a`, `isp1`...). */
  name: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and - (at most 32)'),
  /** This gateway's address on the link: probes and new connections leave from it (policy routing by source, `mprelay rules --wan`). */
  address: ip,
});

/**
 * The DNS forwarder (off without this section): answers DNS on `listen`, UDP and TCP,
 * and forwards each query as DNS over TCP through the relay, so lookups ride both links.
 * A TCP query redirected by `mprelay rules --dns` goes to the resolver the client asked
 * for (its original destination); UDP queries (whose original destination Node's dgram
 * cannot read back after a REDIRECT) and unredirected TCP go to `resolver`.
 */
const dns = z
  .strictObject({
    listen: endpoint,
    resolver: endpoint.refine((e) => e.port > 0, 'the resolver port must not be 0'),
    /** A query with no answer after this gets SERVFAIL (stub resolvers retry after 1-5 s). */
    timeoutMs: z.int().min(100).max(30_000).default(2_500),
    /** With no answer yet after this, the query goes out once more on another relayed connection. */
    retryAfterMs: z.int().min(50).max(30_000).default(800),
    /** Queries forwarded at once (UDP and TCP together); past it, new ones are answered SERVFAIL at once. */
    maxInFlight: z.int().min(1).max(100_000).default(256),
  })
  .refine((d) => d.retryAfterMs < d.timeoutMs, 'dns.retryAfterMs must be below dns.timeoutMs')
  .optional();

export const remoteConfigSchema = z.strictObject({
  /** Where the MPTCP listener binds: the public address (or 0.0.0.0 / ::). */
  listen: endpoint,
  /** Accepted keys; more than one during a rotation. */
  keys: z
    .array(key)
    .min(1)
    .refine((keys) => new Set(keys.map((k) => k.id)).size === keys.length, 'key ids must be unique'),
  /**
   * Pending TCP Fast Open requests on the listener; 0 (the default) turns TFO off. Needs
   * net.ipv4.tcp_fastopen bit 2. Off by default: see `fastOpen` in the local's config.
   */
  fastOpenQueue: z.int().min(0).max(65535).default(0),
  /** A header's timestamp must be within this of the remote's clock; nonces are remembered this long. */
  replayWindowMs: durationMs.default(30_000),
  /**
   * Connections that have not authenticated yet (no valid header): at most this many in
   * all and `perSource` from one IPv4 address or IPv6 /64, each for at most
   * `headerTimeoutMs` until its first header. Past a limit, a new one is reset at once.
   */
  unauthenticated: z
    .strictObject({ maxConnections: z.int().min(1).max(1_000_000), perSource: z.int().min(1).max(1_000_000), headerTimeoutMs: durationMs })
    .default({ maxConnections: 512, perSource: 64, headerTimeoutMs: 3_000 }),
  /** Time a pooled connection (hello done) may wait for its connect header; above the local's pool.idleTimeoutMs. */
  pooledIdleTimeoutMs: durationMs.default(300_000),
  connectTimeoutMs: durationMs.default(10_000),
  /** A relayed connection with no bytes either way for this long is closed. */
  idleTimeoutMs: durationMs.default(900_000),
  maxConnections: z.int().min(1).max(1_000_000).default(10_000),
  /** CIDRs allowed even though the policy refuses them by default (private, loopback, own addresses...). */
  allowDestinations: z.array(cidr).default([]),
  /** CIDRs always refused, even if allowed above. */
  denyDestinations: z.array(cidr).default([]),
  /** This host's public addresses that its interfaces do not show (behind 1:1 NAT): refused like its own. */
  ownAddresses: z.array(ip).default([]),
  keepalive,
  notSentLowatBytes,
  /** On SIGTERM, how long open connections may finish before they are closed. */
  drainTimeoutMs: durationMs.default(30_000),
  /** Link probes from the locals are answered on the listen address's UDP port; a path silent for probes.downAfterMs is logged down. */
  probes,
  metrics,
  log,
});

/** The path manager's defaults (see `paths` below). */
const PATHS = {
  manager: 'kernel',
  sampleMs: 250,
  busyBytesPerSecond: 62_500,
  bulkAfterMs: 1000,
  bulkRttFactor: 8,
  trialMinMs: 3000,
  trialRttFactor: 16,
  minGain: 0.1,
  joinMinShare: 0.125,
  rateMemoryMs: 300_000,
  retryAfterMs: 10_000,
  idleAfterMs: 1000,
} as const;

export const localConfigSchema = z.strictObject({
  /** Where intercepted client TCP arrives (the port in the nftables REDIRECT or TPROXY rule). */
  listen: endpoint,
  /**
   * How client TCP reaches the listener: `redirect` (nftables REDIRECT; the destination
   * comes from conntrack, SO_ORIGINAL_DST) or `tproxy` (nftables TPROXY, no NAT; the
   * destination is the accepted socket's own local address; needs `mprelay rules --tproxy`).
   */
  interception: z.enum(['redirect', 'tproxy']).default('redirect'),
  remote: endpoint,
  key,
  /**
   * Open fresh (pool-miss) connections with TCP Fast Open (needs net.ipv4.tcp_fastopen
   * bit 1, and fastOpenQueue on the remote). Off by default: on kernel 6.18 across the
   * lab's emulated links, an MPTCP SYN carrying data (once a cookie was cached) was
   * accepted by the remote's kernel but the data never reached the relay, so the
   * connection hung. It works on loopback. Turn it on only where tested.
   */
  fastOpen: z.boolean().default(false),
  /**
   * How long to wait for the client's first bytes so that they go in one write with the
   * header: on a pooled connection always (written apart, the request often takes the
   * other subflow: 30 curl fetches on lossy-wisp, time to first byte p50 43.4 ms apart,
   * 37.3 with this), on a miss with fastOpen (they ride in the SYN). Server-speaks-first
   * protocols pay this once per connection.
   */
  earlyDataWaitMs: z.int().min(0).max(1000).default(5),
  pool: z
    .strictObject({
      min: z.int().min(0).max(10_000),
      max: z.int().min(0).max(10_000),
      /** A pooled connection unused for this long is closed (and replaced if still needed). */
      idleTimeoutMs: durationMs,
      /** Connection rate is measured over this window... */
      rateWindowMs: durationMs,
      /** ...and the pool holds enough connections for this long at that rate. */
      horizonMs: durationMs,
      /**
       * A burst is the connections taken within this window: a page load opens ~6 within a
       * few ms, while connections one after another are at least a round trip apart each
       * and a refill keeps up with them (it takes about two)...
       */
      burstWindowMs: durationMs.default(100),
      /** ...and the pool holds the largest burst of this long ago or less, so the next page load is all hits. */
      burstMemoryMs: durationMs.default(300_000),
    })
    .refine((pool) => pool.min <= pool.max, 'pool.min must not exceed pool.max')
    .refine((pool) => pool.burstWindowMs <= pool.burstMemoryMs, 'pool.burstWindowMs must not exceed pool.burstMemoryMs')
    .default({ min: 2, max: 64, idleTimeoutMs: 60_000, rateWindowMs: 10_000, horizonMs: 2_000, burstWindowMs: 100, burstMemoryMs: 300_000 }),
  /** Opening an MPTCP connection to the remote (pool and misses). */
  connectTimeoutMs: durationMs.default(10_000),
  /**
   * How long a client connection waits for the remote's answer to its header. Above the
   * remote's connectTimeoutMs (10 s by default), so that a destination that does not
   * answer is reported as `timeout` by the remote rather than cut off here first.
   */
  statusTimeoutMs: durationMs.default(15_000),
  idleTimeoutMs: durationMs.default(900_000),
  maxConnections: z.int().min(1).max(1_000_000).default(10_000),
  keepalive,
  notSentLowatBytes,
  drainTimeoutMs: durationMs.default(30_000),
  /**
   * The WAN links, in order of preference, each with an MPTCP `subflow` endpoint on its
   * address (`mprelay doctor --fix`). With two or more, a health monitor probes each,
   * new connections open their first subflow over a link that is up, and a dead link's
   * endpoint is taken off (`failover.action`) while another is up. Empty: routing decides.
   */
  links: z.array(link).max(8).refine((links) => new Set(links.map((l) => l.name)).size === links.length, 'link names must be unique').default([]),
  probes,
  failover: z
    .strictObject({
      /** `remove`: delete the dead link's endpoint (REMOVE_ADDR), add it back when up; `backup`: flag it backup (MP_PRIO); `none`: monitor only. */
      action: z.enum(['remove', 'backup', 'none']),
      /** A pool miss races the links: it also tries the next link when the first has no SYN-ACK after this many of its smoothed RTTs (at least raceMinMs). */
      raceRttFactor: z.number().min(1).max(10),
      raceMinMs: z.int().min(10).max(10_000),
      /**
       * A pooled connection with no answer after this many of its link's smoothed RTTs (at
       * least replayMinMs) that has not acknowledged the header either is dead: the
       * request goes again on another connection (at most twice).
       */
      replayRttFactor: z.number().min(1).max(20).default(3),
      replayMinMs: z.int().min(50).max(10_000).default(300),
    })
    .default({ action: 'remove', raceRttFactor: 1.5, raceMinMs: 100, replayRttFactor: 3, replayMinMs: 300 }),
  /**
   * Who gives each connection its subflows. `kernel`: the in-kernel path manager joins every
   * `subflow` endpoint to every connection, and all of them send. `userspace` (needs
   * net.mptcp.path_manager=userspace in the gateway's namespace): the relay does it per
   * connection (paths.ts), every other link joined as backup and sending only while the
   * connection is bulk, so interactive bytes keep to one path. The rest tune the bulk test (bulk.ts).
   */
  paths: z
    .strictObject({
      manager: z.enum(['kernel', 'userspace']).default(PATHS.manager),
      /** How often each connection's goodput is sampled. */
      sampleMs: z.int().min(50).max(5000).default(PATHS.sampleMs),
      busyBytesPerSecond: z.int().min(1).default(PATHS.busyBytesPerSecond),
      bulkAfterMs: durationMs.default(PATHS.bulkAfterMs),
      bulkRttFactor: z.number().min(0).max(100).default(PATHS.bulkRttFactor),
      trialMinMs: durationMs.default(PATHS.trialMinMs),
      trialRttFactor: z.number().min(0).max(100).default(PATHS.trialRttFactor),
      minGain: z.number().min(0).max(10).default(PATHS.minGain),
      joinMinShare: z.number().min(0).max(10).default(PATHS.joinMinShare),
      /** What a link carried in a trial is remembered this long (then a trial measures it again). */
      rateMemoryMs: durationMs.default(PATHS.rateMemoryMs),
      retryAfterMs: durationMs.default(PATHS.retryAfterMs),
      idleAfterMs: durationMs.default(PATHS.idleAfterMs),
    })
    .default(PATHS),
  dns,
  metrics,
  log,
});

export type RemoteConfig = z.output<typeof remoteConfigSchema>;
export type LocalConfig = z.output<typeof localConfigSchema>;
export type RemoteConfigInput = z.input<typeof remoteConfigSchema>;
export type LocalConfigInput = z.input<typeof localConfigSchema>;

export interface ConfigProblem {
  line: number;
  field: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(problems.map((p) => `${file}:${p.line}: ${p.field || '(top level)'}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Parses and validates YAML text; `file` is only for messages. */
export function parseConfig<S extends z.ZodType>(schema: S, text: string, file: string): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => ({ line: lineAt(e.pos[0]), field: '', message: `invalid YAML: ${e.message.split('\n')[0]}` })));
  }
  const result = schema.safeParse(doc.toJS());
  if (result.success) return result.data;
  throw new ConfigError(
    file,
    result.error.issues.map((issue) => {
      // The deepest node that exists in the file carries the line (a missing field: its parent).
      let path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      let node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
      while (!node?.range && path.length > 0) {
        path = path.slice(0, -1);
        node = path.length === 0 ? (doc.contents as typeof node) : (doc.getIn(path, true) as typeof node);
      }
      return { line: node?.range ? lineAt(node.range[0]) : 1, field: issue.path.join('.'), message: issue.message };
    }),
  );
}

export async function loadConfig<S extends z.ZodType>(schema: S, file: string): Promise<z.output<S>> {
  return parseConfig(schema, await readFile(file, 'utf8'), file);
}
