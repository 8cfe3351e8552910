// A page load as a browser does it over HTTP/1.1: the document on a fresh connection,
// then its objects over at most `connections` keep-alive connections (the document's
// own and new ones opened when the document is in), each taking the next object as it
// finishes one. One request at a time per connection, no pipelining; every object's
// bytes are checked.
import type net from 'node:net';
import { monotonicMs } from './clock.ts';
import { abort, describe, openProbeConnection, type Target } from './connection.ts';
import { PatternVerifier } from './pattern.ts';
import { encodeLine } from './protocol.ts';

export interface PageSpec {
  documentBytes: number;
  objectBytes: number[];
  /** Parallel connections at most (browsers: 6 per host). */
  connections: number;
}

export interface PageLoadRecord {
  startMs: number;
  /** The document's last byte arrived. */
  documentMs: number | null;
  /** The last object's last byte arrived: the page is loaded. */
  endMs: number | null;
  objectsLoaded: number;
  connectionsOpened: number;
  /** Null when the whole page arrived, verified, within the timeout. */
  error: string | null;
}

/** One keep-alive connection to the server probe; `get` one object at a time. */
class KeepAliveConnection {
  private readonly socket: net.Socket;
  private current: { verifier: PatternVerifier; bytes: number; resolve: () => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(target: Target, stream: number, bytes: number, done: { resolve: () => void; reject: (error: Error) => void }) {
    this.current = { verifier: new PatternVerifier(stream), bytes, ...done };
    this.socket = openProbeConnection(target, { op: 'get', stream, bytes, keepAlive: true }, { onHeader: () => undefined, onPayload: (chunk) => this.onPayload(chunk) });
    this.socket.on('error', (error) => this.fail(new Error(describe(error))));
    this.socket.once('close', () => this.fail(new Error('connection closed')));
  }

  static open(target: Target, stream: number, bytes: number): { connection: KeepAliveConnection; loaded: Promise<void> } {
    let connection!: KeepAliveConnection;
    const loaded = new Promise<void>((resolve, reject) => (connection = new KeepAliveConnection(target, stream, bytes, { resolve, reject })));
    return { connection, loaded };
  }

  get(stream: number, bytes: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.current = { verifier: new PatternVerifier(stream), bytes, resolve, reject };
      this.socket.write(encodeLine({ op: 'get', stream, bytes, keepAlive: true }));
    });
  }

  close(): void {
    this.current = null;
    abort(this.socket);
  }

  private onPayload(chunk: Buffer): void {
    const current = this.current;
    if (!current) return;
    if (!current.verifier.check(chunk) || current.verifier.bytes > current.bytes) {
      this.fail(new Error('bytes did not verify'));
      abort(this.socket);
      return;
    }
    if (current.verifier.bytes < current.bytes) return;
    this.current = null;
    current.resolve();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const current = this.current;
    this.current = null;
    current?.reject(this.failure);
  }
}

/** Loads one page; object i uses pattern stream `firstStream + 1 + i`, the document `firstStream`. */
export async function loadPage(target: Target, spec: PageSpec, firstStream: number, timeoutMs: number): Promise<PageLoadRecord> {
  const record: PageLoadRecord = { startMs: monotonicMs(), documentMs: null, endMs: null, objectsLoaded: 0, connectionsOpened: 0, error: null };
  const connections: KeepAliveConnection[] = [];
  const queue = spec.objectBytes.map((bytes, i) => ({ stream: firstStream + 1 + i, bytes }));
  // Each connection takes the next object until none is left.
  const worker = async (connection: KeepAliveConnection) => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      await connection.get(next.stream, next.bytes);
      record.objectsLoaded++;
    }
  };
  const load = async () => {
    const first = KeepAliveConnection.open(target, firstStream, spec.documentBytes);
    connections.push(first.connection);
    record.connectionsOpened = 1;
    await first.loaded;
    record.documentMs = monotonicMs();
    const extra = Math.min(spec.connections, spec.objectBytes.length) - 1;
    const workers = [worker(first.connection)];
    for (let i = 0; i < extra; i++) {
      const next = queue.shift()!;
      const opened = KeepAliveConnection.open(target, next.stream, next.bytes);
      connections.push(opened.connection);
      record.connectionsOpened++;
      workers.push(
        opened.loaded.then(() => {
          record.objectsLoaded++;
          return worker(opened.connection);
        }),
      );
    }
    await Promise.all(workers);
    record.endMs = monotonicMs();
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)));
  try {
    await Promise.race([load(), timeout]);
  } catch (error) {
    record.error = (error as Error).message;
  } finally {
    clearTimeout(timer);
    for (const connection of connections) connection.close();
  }
  return record;
}
