// The probes' wire protocol. A client opens a TCP connection to the server probe and
// writes one JSON request line; the server answers with one JSON header line (its
// accept time on the shared monotonic clock) and then what the request asked for.
import { z } from 'zod';
import type { MeterReport } from './meter.ts';

/** The server probe's port on ADDR.server. */
export const PROBE_PORT = 5201;
/** Longest request or header line accepted, so a broken peer cannot make a probe buffer forever. */
export const MAX_LINE_BYTES = 4096;
/** Longest report line a client accepts from the server probe (bins and gaps of a long upload). */
export const MAX_REPORT_BYTES = 4 * 1024 ** 2;

export const probeRequestSchema = z.discriminatedUnion('op', [
  /**
   * Server sends `bytes` pattern bytes of `stream`; null = until the client goes away or
   * `untilMs` (shared clock), when the server aborts the connection (a reset: bytes still
   * queued must not drain into the next measurement). With `keepAlive` the server then
   * reads the next request line (a `get` too) on the same connection, as HTTP/1.1 does.
   */
  z.strictObject({
    op: z.literal('get'),
    stream: z.number().int().min(0),
    bytes: z.number().int().min(0).nullable(),
    untilMs: z.number().optional(),
    keepAlive: z.boolean().optional(),
  }),
  /**
   * Client sends pattern bytes of `stream`; at `untilMs` (shared clock) the server answers
   * one report line, stops reading and closes; the client aborts on the report.
   */
  z.strictObject({ op: z.literal('put'), stream: z.number().int().min(0), refMs: z.number(), binMs: z.number().positive(), untilMs: z.number() }),
  /**
   * Client sends exactly `bytes` pattern bytes of `stream`, from its first write; once the
   * last one is in, the server answers one report line (PushReport) and closes.
   */
  z.strictObject({ op: z.literal('push'), stream: z.number().int().min(0), bytes: z.number().int().min(1) }),
  /** Server echoes every byte after the request line (the client frames and numbers them). */
  z.strictObject({ op: z.literal('echo') }),
]);

export type ProbeRequest = z.infer<typeof probeRequestSchema>;

export interface ProbeHeader {
  /** When the server probe accepted this connection (monotonic ms). */
  acceptMs: number;
}

/** The line the server sends after an upload window ends. */
export interface PutReport {
  report: MeterReport;
}

/** The line the server sends once a push's last byte arrived (shared monotonic clock). */
export interface PushReport {
  lastByteMs: number;
  bytes: number;
  verified: boolean;
}

export function encodeLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/**
 * Splits one line off the front of a byte stream. Returns the line and the bytes after
 * it, or null while no newline has arrived yet; throws if the line grows too long.
 */
export function takeLine(buffered: Buffer, maxBytes = MAX_LINE_BYTES): { line: string; rest: Buffer } | null {
  const end = buffered.indexOf(0x0a);
  if (end < 0) {
    if (buffered.length > maxBytes) throw new Error(`probe line longer than ${maxBytes} bytes`);
    return null;
  }
  return { line: buffered.subarray(0, end).toString('utf8'), rest: buffered.subarray(end + 1) };
}
