// Client-side flows of the probe: each opens its own TCP connection to the server
// probe, measures on the shared monotonic clock, and checks every byte it gets back.
// Timed flows end with a reset at both ends (see connection.ts).
import type net from 'node:net';
import { monotonicMs } from './clock.ts';
import { abort, describe, openProbeConnection, type Target } from './connection.ts';
import { ReceiveMeter, type MeterReport } from './meter.ts';
import { PatternVerifier, PatternWriter } from './pattern.ts';
import { MAX_REPORT_BYTES, takeLine, type PushReport, type PutReport } from './protocol.ts';

export type { Target } from './connection.ts';

const WRITE_CHUNK_BYTES = 64 * 1024;

/** One short request/response connection, as a browser opening a page would. */
export interface FetchRecord {
  startMs: number;
  /** connect() resolved (with an intercepting proxy: the local proxy accepted). */
  connectMs: number | null;
  firstByteMs: number | null;
  /** The server probe accepted (shared clock). */
  acceptMs: number | null;
  /** The last byte of the response arrived (what a client that knows the length waits for). */
  lastByteMs: number | null;
  /** The connection closed (after the server's FIN came through). */
  endMs: number | null;
  bytes: number;
  verified: boolean;
  /** Null when every byte arrived and verified within the timeout. */
  error: string | null;
}

/** A fixed-size transfer on a fresh connection, as a file is downloaded or uploaded. */
export interface TransferRecord {
  startMs: number;
  /** When the receiver had the last byte: the client for a download, the server probe for an upload (shared clock). */
  endMs: number | null;
  /** Verified bytes the receiver got. */
  bytes: number;
  /** Null when every byte arrived and verified within the timeout. */
  error: string | null;
}

export interface FlowReport extends MeterReport {
  error: string | null;
}

/** Aborts `socket` after `timeoutMs` unless it closed first, recording the timeout as its error. */
function abortOnTimeout(socket: net.Socket, record: { error: string | null }, timeoutMs: number): void {
  const timer = setTimeout(() => {
    record.error ??= 'timeout';
    abort(socket);
  }, timeoutMs);
  socket.once('close', () => clearTimeout(timer));
}

/** A fresh connection that asks for `responseBytes` and reads them all, within `timeoutMs`. */
export function fetchOnce(target: Target, stream: number, responseBytes: number, timeoutMs: number): Promise<FetchRecord> {
  return new Promise((resolve) => {
    const record: FetchRecord = {
      startMs: monotonicMs(),
      connectMs: null,
      firstByteMs: null,
      acceptMs: null,
      lastByteMs: null,
      endMs: null,
      bytes: 0,
      verified: false,
      error: null,
    };
    const verifier = new PatternVerifier(stream);
    const socket = openProbeConnection(target, { op: 'get', stream, bytes: responseBytes }, {
      onFirstByte: (atMs) => (record.firstByteMs = atMs),
      onHeader: (header) => (record.acceptMs = header.acceptMs),
      onPayload: (chunk) => {
        verifier.check(chunk);
        if (verifier.bytes === responseBytes) record.lastByteMs ??= monotonicMs();
      },
    });
    socket.once('connect', () => (record.connectMs = monotonicMs()));
    socket.on('error', (error) => (record.error ??= describe(error)));
    abortOnTimeout(socket, record, timeoutMs);
    socket.once('close', () => {
      record.endMs = monotonicMs();
      record.bytes = verifier.bytes;
      record.verified = verifier.ok && verifier.bytes === responseBytes && record.acceptMs !== null;
      if (!record.verified) record.error ??= verifier.ok ? `short response: ${verifier.bytes} of ${responseBytes} bytes` : 'bytes did not verify';
      resolve(record);
    });
  });
}

/**
 * Downloads `bytes` on a fresh connection, done when the last byte is in, as for a client
 * that knows the length (curl, a browser) and as the upload's end is timed. The close
 * comes later: the server's FIN crosses both relays, and on lossy links it waited for a
 * retransmission now and then (mprelay, 2 MB on lossy-wisp: to the close 1035-1414 ms,
 * curl 1061-1121 ms).
 */
export async function downloadOnce(target: Target, stream: number, bytes: number, timeoutMs: number): Promise<TransferRecord> {
  const fetch = await fetchOnce(target, stream, bytes, timeoutMs);
  return { startMs: fetch.startMs, endMs: fetch.error === null ? fetch.lastByteMs : null, bytes: fetch.bytes, error: fetch.error };
}

/**
 * Uploads `bytes` on a fresh connection, written from the start as a client uploading a
 * file does (not after the server's header, as the timed upload waits); done when the
 * server probe reports the last byte in.
 */
export function uploadOnce(target: Target, stream: number, bytes: number, timeoutMs: number): Promise<TransferRecord> {
  return new Promise((resolve) => {
    const record: TransferRecord = { startMs: monotonicMs(), endMs: null, bytes: 0, error: null };
    const writer = new PatternWriter(stream);
    let left = bytes;
    let reply: Buffer = Buffer.alloc(0);
    const socket = openProbeConnection(target, { op: 'push', stream, bytes }, {
      onHeader: () => undefined,
      onPayload: (chunk) => {
        reply = Buffer.concat([reply, chunk]);
        try {
          const taken = takeLine(reply);
          if (!taken) return;
          const report = JSON.parse(taken.line) as PushReport;
          record.bytes = report.bytes;
          if (report.verified) record.endMs = report.lastByteMs;
          else record.error ??= `the server verified ${report.bytes} of ${bytes} bytes`;
        } catch (e) {
          record.error ??= `bad report from the server: ${describe(e)}`;
        }
        abort(socket);
      },
    });
    const pump = (): void => {
      while (left > 0 && !socket.destroyed) {
        const chunk = writer.next(Math.min(WRITE_CHUNK_BYTES, left));
        left -= chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
    socket.on('error', (e) => (record.error ??= describe(e)));
    abortOnTimeout(socket, record, timeoutMs);
    socket.once('close', () => {
      if (record.endMs === null) record.error ??= 'closed before the report';
      resolve(record);
    });
  });
}

export interface RunningDownload {
  /** Aborts the download now (if it still runs) and gives its report, measured up to now. */
  stop(): Promise<FlowReport>;
  /** The report, once the connection has ended (stopped, at `untilMs`, or broken). */
  done: Promise<FlowReport>;
}

/**
 * Downloads pattern bytes until stopped, or until `untilMs` when given: then both ends
 * abort at that moment (the server too, so that its queued bytes are thrown away). A
 * connection that ends before it is stopped failed, unless it ends at `untilMs` or later
 * (the server's abort crossing ours).
 */
export function startDownload(target: Target, stream: number, refMs: number, binMs: number, untilMs?: number): RunningDownload {
  const meter = new ReceiveMeter(stream, refMs, binMs);
  let error: string | null = null;
  let stoppedAtMs: number | null = null;
  const socket = openProbeConnection(target, { op: 'get', stream, bytes: null, ...(untilMs !== undefined && { untilMs }) }, {
    onHeader: () => undefined,
    onPayload: (chunk, atMs) => {
      if (!meter.ok) return;
      meter.onData(chunk, atMs);
      if (!meter.ok) socket.destroy(new Error('bytes did not verify'));
    },
  });
  socket.on('error', (e) => (error ??= describe(e)));
  const stop = () => {
    stoppedAtMs ??= monotonicMs();
    abort(socket);
  };
  const timer = untilMs === undefined ? undefined : setTimeout(stop, Math.max(0, untilMs - monotonicMs()));
  const done = new Promise<FlowReport>((resolve) => {
    socket.once('close', () => {
      clearTimeout(timer);
      const closedMs = monotonicMs();
      const planned = stoppedAtMs !== null || (untilMs !== undefined && closedMs >= untilMs);
      const endMs = untilMs !== undefined && planned ? Math.min(untilMs, stoppedAtMs ?? untilMs) : (stoppedAtMs ?? closedMs);
      resolve({ ...meter.report(endMs), error: planned ? (meter.ok ? null : 'bytes did not verify') : (error ?? 'closed before the end') });
    });
  });
  return {
    stop() {
      stop();
      return done;
    },
    done,
  };
}

/** Downloads for the window up to `untilMs` and reports. */
export function download(target: Target, stream: number, refMs: number, untilMs: number, binMs: number): Promise<FlowReport> {
  return startDownload(target, stream, refMs, binMs, untilMs).done;
}

/**
 * Uploads pattern bytes until `untilMs`; the server probe measures and sends back its
 * report, on which the client aborts. Writing starts once the server's header is in (the
 * path is connected end to end), as iperf3 starts after its control handshake: bytes
 * written before that pile up at mprelay's remote before it reads them, and its MPTCP
 * receive window then stays small for the whole transfer (45-60 KB against 0.7-3 MB
 * measured on lossy-wisp, 3.5 instead of 4.7 Mbit/s), which is a start-up effect and not
 * the steady goodput this flow measures.
 */
export function upload(target: Target, stream: number, refMs: number, untilMs: number, binMs: number): Promise<FlowReport> {
  return new Promise((resolve) => {
    const writer = new PatternWriter(stream);
    let reply: Buffer = Buffer.alloc(0);
    let report: PutReport['report'] | null = null;
    let error: string | null = null;
    const socket = openProbeConnection(target, { op: 'put', stream, refMs, binMs, untilMs }, {
      onHeader: () => pump(),
      onPayload: (chunk) => {
        reply = Buffer.concat([reply, chunk]);
        try {
          const taken = takeLine(reply, MAX_REPORT_BYTES);
          if (!taken) return;
          report = (JSON.parse(taken.line) as PutReport).report;
        } catch (e) {
          error ??= `bad report from the server: ${describe(e)}`;
        }
        abort(socket);
      },
    });
    const pump = (): void => {
      while (monotonicMs() < untilMs && !socket.destroyed) {
        if (!socket.write(writer.next(WRITE_CHUNK_BYTES))) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.on('error', (e) => (error ??= describe(e)));
    // The server answers at untilMs; allow for the answer to cross a loaded path.
    const timer = setTimeout(() => {
      error ??= 'no report from the server';
      abort(socket);
    }, Math.max(0, untilMs - monotonicMs()) + 15_000);
    socket.once('close', () => {
      clearTimeout(timer);
      const received: PutReport['report'] | null = report;
      if (received) resolve({ ...received, error: received.verified ? null : 'bytes did not verify at the server' });
      else resolve({ ...new ReceiveMeter(stream, refMs, binMs).report(untilMs), error: error ?? 'no report from the server' });
    });
  });
}
