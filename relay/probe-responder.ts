// The remote's side of the link probes: answers every verified probe request on the
// listen address's UDP port from where it came (so over the link it came by), and keeps
// its own view of each path (a local's link, by the source address it arrives from):
// a path heard from within silenceMs is up. Requests with a timestamp outside the replay
// window are dropped, so a captured probe cannot be bounced off the remote later.
// The same port answers capacity trains (train-wire.ts): a verified train up is timed as
// it arrives and answered, once complete, with as many datagrams down as came up, back to
// back, each carrying how the train up arrived.
import dgram from 'node:dgram';
import { dispersionOf } from './dispersion.ts';
import { familyOf } from './ip.ts';
import type { Logger } from './log.ts';
import type { RelayMetrics } from './metrics.ts';
import { decodeProbe, encodeProbe } from './probe-wire.ts';
import { TrainCollector, type CollectedTrain } from './train-collector.ts';
import { decodeTrainDatagram, encodeTrainDatagram, isTrainSized, type TrainDatagram } from './train-wire.ts';

export interface ProbeResponderOptions {
  /** The listen address; the port is the TCP listener's (known once it is bound: port 0 picks one). */
  listen: { address: string };
  secretOf: (keyId: number) => Buffer | undefined;
  replayWindowMs: number;
  /** A path not heard from for this long is down. */
  silenceMs: number;
  metrics: RelayMetrics;
  log: Logger;
}

/** Paths remembered at most: a remote serves few homes, each with a few links. */
const MAX_PATHS = 1024;
/** Trains timed at once at most (each is a few datagrams from a key holder, over in well under a second). */
const MAX_TRAINS = 256;

/** A train datagram up, with where it came from (where the train down goes). */
type TrainUp = TrainDatagram & { source: { address: string; port: number } };

export class ProbeResponder {
  readonly #options: ProbeResponderOptions;
  readonly #socket: dgram.Socket;
  /** Source address -> when a probe last came from it, and whether the path is up. */
  readonly #paths = new Map<string, { heardMs: number; up: boolean }>();
  /** Trains up being timed, by source address, port and train id. */
  readonly #trains = new TrainCollector<TrainUp>(MAX_TRAINS);
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ProbeResponderOptions) {
    this.#options = options;
    this.#socket = dgram.createSocket(familyOf(options.listen.address) === 4 ? 'udp4' : 'udp6');
  }

  async start(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#socket.once('error', reject);
      this.#socket.bind({ address: this.#options.listen.address, port }, () => {
        this.#socket.off('error', reject);
        this.#socket.on('error', () => {});
        resolve();
      });
    });
    this.#socket.on('message', (datagram, from) => (isTrainSized(datagram) ? this.#trainDatagram(datagram, from, performance.now()) : this.#request(datagram, from)));
    this.#timer = setInterval(() => this.#sweep(), Math.max(50, this.#options.silenceMs / 4));
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#socket.close();
  }

  #request(datagram: Buffer, from: dgram.RemoteInfo): void {
    const probe = decodeProbe(datagram, this.#options.secretOf);
    if (typeof probe === 'string' || probe.kind !== 'request') return void this.#options.metrics.probes.inc({ result: typeof probe === 'string' ? probe : 'not-request' });
    if (Math.abs(Date.now() - probe.sentAtMs) > this.#options.replayWindowMs) return void this.#options.metrics.probes.inc({ result: 'stale' });
    const secret = this.#options.secretOf(probe.keyId);
    if (!secret) return;
    this.#socket.send(encodeProbe({ ...probe, kind: 'answer' }, secret), from.port, from.address, () => {});
    this.#options.metrics.probes.inc({ result: 'answered' });
    this.#heard(from.address);
  }

  #trainDatagram(datagram: Buffer, from: dgram.RemoteInfo, atMs: number): void {
    const decoded = decodeTrainDatagram(datagram, this.#options.secretOf);
    if (typeof decoded === 'string' || decoded.kind !== 'up') return void this.#options.metrics.probes.inc({ result: typeof decoded === 'string' ? `train-${decoded}` : 'train-not-up' });
    if (Math.abs(Date.now() - decoded.sentAtMs) > this.#options.replayWindowMs) return void this.#options.metrics.probes.inc({ result: 'train-stale' });
    const train = this.#trains.add(`${from.address}:${from.port}/${decoded.trainId}`, { ...decoded, source: { address: from.address, port: from.port } }, atMs);
    if (train) this.#answerTrain(train);
  }

  /** Sends as many datagrams down as came up, back to back, each with the train up's dispersion. */
  #answerTrain({ first, arrivals }: CollectedTrain<TrainUp>): void {
    const secret = this.#options.secretOf(first.keyId);
    const up = dispersionOf(arrivals);
    if (!secret || !up) return;
    for (let index = 0; index < arrivals.length; index++) {
      const answer = encodeTrainDatagram({ ...first, kind: 'down', count: arrivals.length, index, upSpreadUs: up.spreadMs * 1000, upBytes: up.bytes }, secret);
      this.#socket.send(answer, first.source.port, first.source.address, () => {});
    }
    this.#options.metrics.probes.inc({ result: 'train-answered' });
  }

  #heard(source: string): void {
    const path = this.#paths.get(source);
    if (!path && this.#paths.size >= MAX_PATHS) return;
    if (!path?.up) this.#options.log.info('path up', { source });
    this.#paths.set(source, { heardMs: performance.now(), up: true });
    this.#count();
  }

  #sweep(): void {
    const nowMs = performance.now();
    for (const train of this.#trains.expire(nowMs)) this.#answerTrain(train);
    for (const [source, path] of this.#paths) {
      if (!path.up || nowMs - path.heardMs < this.#options.silenceMs) continue;
      path.up = false;
      this.#options.log.info('path down', { source, silentMs: Math.round(nowMs - path.heardMs) });
    }
    // Forgotten once silent for a minute: a home that went away, or an old NAT mapping.
    for (const [source, path] of this.#paths) if (!path.up && nowMs - path.heardMs > 60_000) this.#paths.delete(source);
    this.#count();
  }

  #count(): void {
    let up = 0;
    for (const path of this.#paths.values()) if (path.up) up++;
    this.#options.metrics.pathsUp.set(up);
  }
}
