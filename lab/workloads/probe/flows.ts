// Client-side flows of the probe: each opens its own TCP connection to the server
// probe, measures on the shared monotonic clock, and checks every byte it gets back.
import net from 'node:net';
import { monotonicMs } from './clock.ts';
import { ReceiveMeter, type MeterReport } from './meter.ts';
import { PatternVerifier, PatternWriter } from './pattern.ts';
import { encodeLine, takeLine, type ProbeHeader, type ProbeRequest, type PutReport } from './protocol.ts';

export interface Target {
  host: string;
  port: number;
}

const WRITE_CHUNK_BYTES = 64 * 1024;

/** One short request/response connection, as a browser opening a page would. */
export interface FetchRecord {
  startMs: number;
  /** connect() resolved (with an intercepting proxy: the local proxy accepted). */
  connectMs: number | null;
  firstByteMs: number | null;
  /** The server probe accepted (shared clock). */
  acceptMs: number | null;
  endMs: number | null;
  bytes: number;
  verified: boolean;
  error: string | null;
}

export interface FlowReport extends MeterReport {
  error: string | null;
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ?? e.message ?? String(error);
}

/**
 * Opens a connection, writes `request` at once (before connect resolves, as a client
 * sending its first bytes would), and splits the answer into the header line and the
 * payload. Payload bytes arriving with the header are passed on too.
 */
function openProbeConnection(
  target: Target,
  request: ProbeRequest,
  handlers: { onFirstByte?(atMs: number): void; onHeader(header: ProbeHeader): void; onPayload(chunk: Buffer, atMs: number): void },
): net.Socket {
  const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
  socket.write(encodeLine(request));
  let pending: Buffer | null = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const atMs = monotonicMs();
    if (pending === null) {
      handlers.onPayload(chunk, atMs);
      return;
    }
    if (pending.length === 0) handlers.onFirstByte?.(atMs);
    pending = Buffer.concat([pending, chunk]);
    let taken;
    try {
      taken = takeLine(pending);
    } catch (error) {
      socket.destroy(error as Error);
      return;
    }
    if (!taken) return;
    pending = null;
    handlers.onHeader(JSON.parse(taken.line) as ProbeHeader);
    if (taken.rest.length > 0) handlers.onPayload(taken.rest, atMs);
  });
  return socket;
}

/** A fresh connection that asks for `responseBytes` and reads them all. */
export function fetchOnce(target: Target, stream: number, responseBytes: number, timeoutMs: number): Promise<FetchRecord> {
  return new Promise((resolve) => {
    const record: FetchRecord = {
      startMs: monotonicMs(),
      connectMs: null,
      firstByteMs: null,
      acceptMs: null,
      endMs: null,
      bytes: 0,
      verified: false,
      error: null,
    };
    const verifier = new PatternVerifier(stream);
    const socket = openProbeConnection(target, { op: 'get', stream, bytes: responseBytes }, {
      onFirstByte: (atMs) => (record.firstByteMs = atMs),
      onHeader: (header) => (record.acceptMs = header.acceptMs),
      onPayload: (chunk) => verifier.check(chunk),
    });
    socket.once('connect', () => (record.connectMs = monotonicMs()));
    socket.on('error', (error) => (record.error ??= describe(error)));
    const timer = setTimeout(() => {
      record.error ??= 'timeout';
      socket.destroy();
    }, timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      record.endMs = monotonicMs();
      record.bytes = verifier.bytes;
      record.verified = verifier.ok && verifier.bytes === responseBytes && record.acceptMs !== null;
      if (!record.verified) record.error ??= verifier.ok ? `short response: ${verifier.bytes} of ${responseBytes} bytes` : 'bytes did not verify';
      resolve(record);
    });
  });
}

/** Downloads pattern bytes until `untilMs`, then resets the connection. */
export function download(target: Target, stream: number, refMs: number, untilMs: number, binMs: number): Promise<FlowReport> {
  return new Promise((resolve) => {
    const meter = new ReceiveMeter(stream, refMs, binMs);
    let error: string | null = null;
    const socket = openProbeConnection(target, { op: 'get', stream, bytes: null }, {
      onHeader: () => undefined,
      onPayload: (chunk, atMs) => {
        if (!meter.ok) return;
        meter.onData(chunk, atMs);
        if (!meter.ok) socket.destroy(new Error('bytes did not verify'));
      },
    });
    socket.on('error', (e) => (error ??= describe(e)));
    let stoppedHere = false;
    const timer = setTimeout(() => {
      stoppedHere = true;
      socket.destroy();
    }, Math.max(0, untilMs - monotonicMs()));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ ...meter.report(untilMs), error: error ?? (stoppedHere ? null : 'closed before the end') });
    });
  });
}

/** Uploads pattern bytes until `untilMs`; the server probe measures and sends back its report. */
export function upload(target: Target, stream: number, refMs: number, untilMs: number, binMs: number): Promise<FlowReport> {
  return new Promise((resolve) => {
    const writer = new PatternWriter(stream);
    let reply: Buffer = Buffer.alloc(0);
    let error: string | null = null;
    const socket = openProbeConnection(target, { op: 'put', stream, refMs, binMs, untilMs }, {
      onHeader: () => undefined,
      onPayload: (chunk) => (reply = Buffer.concat([reply, chunk])),
    });
    const pump = (): void => {
      while (monotonicMs() < untilMs && !socket.destroyed) {
        if (!socket.write(writer.next(WRITE_CHUNK_BYTES))) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.once('connect', pump);
    socket.on('error', (e) => (error ??= describe(e)));
    // The server answers at untilMs; allow for the answer to cross a loaded path.
    const timer = setTimeout(() => {
      error ??= 'no report from the server';
      socket.destroy();
    }, Math.max(0, untilMs - monotonicMs()) + 15_000);
    socket.on('end', () => socket.destroy());
    socket.once('close', () => {
      clearTimeout(timer);
      const taken = reply.length > 0 ? takeLine(reply) : null;
      if (taken) {
        const { report } = JSON.parse(taken.line) as PutReport;
        resolve({ ...report, error: report.verified ? null : 'bytes did not verify at the server' });
      } else {
        resolve({ ...new ReceiveMeter(stream, refMs, binMs).report(untilMs), error: error ?? 'no report from the server' });
      }
    });
  });
}

export interface EchoSample {
  sentMs: number;
  rttMs: number;
}

/**
 * An interactive flow on its own connection: writes `sizeBytes` every `intervalMs`
 * (or as soon as the previous answer is back, if that took longer) and times the echo.
 */
export function echoLoop(target: Target, stream: number, untilMs: number, intervalMs: number, sizeBytes: number): Promise<{ samples: EchoSample[]; error: string | null }> {
  return new Promise((resolve) => {
    const samples: EchoSample[] = [];
    const writer = new PatternWriter(stream);
    const verifier = new PatternVerifier(stream);
    let error: string | null = null;
    let sentMs = 0;
    let expectBytes = 0;
    let timer: NodeJS.Timeout | undefined;
    const send = (): void => {
      if (monotonicMs() >= untilMs) {
        socket.end();
        return;
      }
      sentMs = monotonicMs();
      expectBytes = verifier.bytes + sizeBytes;
      socket.write(writer.next(sizeBytes));
    };
    const socket = openProbeConnection(target, { op: 'echo' }, {
      onHeader: () => send(),
      onPayload: (chunk, atMs) => {
        if (!verifier.check(chunk)) {
          socket.destroy(new Error('echo did not verify'));
          return;
        }
        if (verifier.bytes < expectBytes) return;
        samples.push({ sentMs, rttMs: atMs - sentMs });
        timer = setTimeout(send, Math.max(0, sentMs + intervalMs - monotonicMs()));
      },
    });
    socket.on('error', (e) => (error ??= describe(e)));
    const deadline = setTimeout(() => socket.destroy(), Math.max(0, untilMs - monotonicMs()) + 10_000);
    socket.once('close', () => {
      clearTimeout(timer);
      clearTimeout(deadline);
      resolve({ samples, error });
    });
  });
}
