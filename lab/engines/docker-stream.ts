// Reading what a Docker engine streams back: the JSON progress of an image build,
// import or pull (where a failed step is a message in the stream, not an HTTP error),
// and a container's multiplexed stdout/stderr as lines.
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import type Docker from 'dockerode';

/** One message of a build/import/pull stream. */
export interface DockerProgress {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** Waits for the end of a progress stream; rejects with the engine's message when a step failed. */
export function followProgress(docker: Docker, stream: NodeJS.ReadableStream, onMessage: (message: DockerProgress) => void = () => undefined): Promise<DockerProgress[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, messages: DockerProgress[]) => {
        const failed = messages?.find((m) => m.error !== undefined);
        if (error) reject(error);
        else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
        else resolve(messages);
      },
      onMessage,
    );
  });
}

/** Calls `onLine` for each line a container writes, split by stream; resolves when the stream ends. */
export function containerLines(docker: Docker, stream: NodeJS.ReadableStream, onLine: (line: string, from: 'stdout' | 'stderr') => void): Promise<void> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  docker.modem.demuxStream(stream, stdout, stderr);
  const lines = (from: 'stdout' | 'stderr', source: PassThrough) =>
    new Promise<void>((resolve) => {
      createInterface({ input: source }).on('line', (line) => onLine(line, from)).on('close', resolve);
    });
  stream.on('end', () => {
    stdout.end();
    stderr.end();
  });
  stream.on('close', () => {
    stdout.end();
    stderr.end();
  });
  return Promise.all([lines('stdout', stdout), lines('stderr', stderr)]).then(() => undefined);
}
