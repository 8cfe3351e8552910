// The probes' wire protocol. A client opens a TCP connection to the server probe and
// writes one JSON request line; the server answers with one JSON header line (its
// accept time on the shared monotonic clock) and then what the request asked for.
import { z } from 'zod';
import type { MeterReport } from './meter.ts';

/** The server probe's port on ADDR.server. */
export const PROBE_PORT = 5201;
/** Longest request or header line accepted, so a broken peer cannot make a probe buffer forever. */
export const MAX_LINE_BYTES = 4096;

export const probeRequestSchema = z.discriminatedUnion('op', [
  /** Server sends `bytes` pattern bytes of `stream` then closes; null = until the client goes away. */
  z.strictObject({ op: z.literal('get'), stream: z.number().int().min(0), bytes: z.number().int().min(0).nullable() }),
  /** Client sends pattern bytes of `stream`; at `untilMs` (shared clock) the server answers one report line and closes. */
  z.strictObject({ op: z.literal('put'), stream: z.number().int().min(0), refMs: z.number(), binMs: z.number().positive(), untilMs: z.number() }),
  /** Server echoes every byte after the request line. */
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

export function encodeLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/**
 * Splits one line off the front of a byte stream. Returns the line and the bytes after
 * it, or null while no newline has arrived yet; throws if the line grows too long.
 */
export function takeLine(buffered: Buffer): { line: string; rest: Buffer } | null {
  const end = buffered.indexOf(0x0a);
  if (end < 0) {
    if (buffered.length > MAX_LINE_BYTES) throw new Error(`probe line longer than ${MAX_LINE_BYTES} bytes`);
    return null;
  }
  return { line: buffered.subarray(0, end).toString('utf8'), rest: buffered.subarray(end + 1) };
}
