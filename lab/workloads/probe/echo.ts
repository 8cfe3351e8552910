// The interactive flow, open loop (as a person typing or a game sending its ticks): on
// its own connection, one small numbered frame leaves every interval on a fixed
// schedule whether or not earlier ones came back, and each answer is matched to its
// frame by sequence number and checked byte for byte. A system that delays echoes is
// sampled as often as one that does not.
import { monotonicMs, sleepUntil } from './clock.ts';
import { abort, describe, openProbeConnection, type Target } from './connection.ts';
import { PatternWriter } from './pattern.ts';

/** Frame: a 4-byte sequence number, then pattern bytes. */
const SEQ_BYTES = 4;

export interface EchoRecord {
  seq: number;
  sentMs: number;
  /** Round trip; null when no answer came back before the session ended (lost, or the connection broke). */
  rttMs: number | null;
}

export interface EchoPlan {
  /** First frame leaves at startMs, then one every intervalMs while before untilMs (shared clock). */
  startMs: number;
  untilMs: number;
  intervalMs: number;
  sizeBytes: number;
  /** After the last frame, answers are awaited this long at most; then the connection is aborted. */
  timeoutMs: number;
}

export interface EchoOutcome {
  echoes: EchoRecord[];
  error: string | null;
}

export function echoSchedule(target: Target, stream: number, plan: EchoPlan): Promise<EchoOutcome> {
  if (plan.sizeBytes <= SEQ_BYTES) throw new Error(`echo frames need more than ${SEQ_BYTES} bytes`);
  const writer = new PatternWriter(stream);
  const echoes: EchoRecord[] = [];
  const sent = new Map<number, Buffer>();
  let received = Buffer.alloc(0);
  let error: string | null = null;
  let answered = 0;
  let allAnswered: () => void = () => undefined;

  const socket = openProbeConnection(target, { op: 'echo' }, {
    onHeader: () => undefined,
    onPayload: (chunk, atMs) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= plan.sizeBytes) {
        const frame = received.subarray(0, plan.sizeBytes);
        received = received.subarray(plan.sizeBytes);
        const seq = frame.readUInt32BE(0);
        const expected = sent.get(seq);
        if (!expected || !frame.equals(expected)) {
          socket.destroy(new Error('echo did not verify'));
          return;
        }
        sent.delete(seq);
        echoes[seq]!.rttMs = atMs - echoes[seq]!.sentMs;
        if (++answered === echoes.length) allAnswered();
      }
    },
  });
  socket.on('error', (e) => (error ??= describe(e)));

  const send = (seq: number): void => {
    const frame = Buffer.alloc(plan.sizeBytes);
    frame.writeUInt32BE(seq, 0);
    writer.next(plan.sizeBytes - SEQ_BYTES).copy(frame, SEQ_BYTES);
    echoes.push({ seq, sentMs: monotonicMs(), rttMs: null });
    sent.set(seq, frame);
    // A broken connection still takes part in the schedule: its echoes are lost.
    if (!socket.destroyed) socket.write(frame);
  };

  return (async () => {
    for (let seq = 0, atMs = plan.startMs; atMs < plan.untilMs; seq++, atMs = plan.startMs + seq * plan.intervalMs) {
      await sleepUntil(atMs);
      send(seq);
    }
    if (answered < echoes.length && !socket.destroyed) {
      const last = echoes[echoes.length - 1]!;
      await Promise.race([new Promise<void>((resolve) => (allAnswered = resolve)), sleepUntil(last.sentMs + plan.timeoutMs)]);
    }
    const closed = new Promise((resolve) => (socket.destroyed ? resolve(undefined) : socket.once('close', resolve)));
    abort(socket);
    await closed;
    return { echoes, error };
  })();
}
