// Structured logs: one JSON object per line on stdout (journald and log shippers read it as is).
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LogSink {
  write(line: string): unknown;
}

export function createLogger(options: { level: LogLevel; base?: LogFields; sink?: LogSink }): Logger {
  const sink = options.sink ?? process.stdout;
  const threshold = RANK[options.level];
  const emit = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (RANK[level] < threshold) return;
    sink.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...options.base, ...fields }, errorReplacer)}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as NodeJS.ErrnoException).code };
  return value;
}

/**
 * Lets one line per key through per period and counts the rest, so a scanner hammering
 * the public port cannot flood the log: "logged once per source per minute". At most
 * `maxKeys` are remembered: past that the oldest are forgotten (a forgotten source may
 * log again early), so many sources cannot grow the map.
 */
export class LogThrottle {
  #last = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly periodMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  get size(): number {
    return this.#last.size;
  }

  /** Returns the number of lines suppressed since the last one let through, or undefined to stay silent. */
  admit(key: string): number | undefined {
    const nowMs = this.now();
    const entry = this.#last.get(key);
    if (entry && nowMs - entry.atMs < this.periodMs) {
      entry.suppressed++;
      return undefined;
    }
    this.#last.delete(key); // re-inserted last: the map stays in order of last admission
    if (this.#last.size >= this.maxKeys) this.#prune(nowMs);
    this.#last.set(key, { atMs: nowMs, suppressed: 0 });
    return entry?.suppressed ?? 0;
  }

  #prune(nowMs: number): void {
    for (const [key, entry] of this.#last) if (nowMs - entry.atMs >= this.periodMs) this.#last.delete(key);
    for (const key of this.#last.keys()) {
      if (this.#last.size < this.maxKeys) break;
      this.#last.delete(key);
    }
  }
}
