// UDP probe program for link measurement, run inside a namespace by probes.ts.
//   reflector: echoes every probe, recording when each arrived.
//   prober:    sends numbered probes at a fixed spacing and records the echoes.
// Times are CLOCK_MONOTONIC (process.hrtime), shared by all namespaces, so one-way
// delays are exact. Control is JSON lines on stdin, replies JSON lines on stdout;
// EOF on stdin ends the program, so it dies with its parent.
import { createSocket, type Socket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { PROBE_PAYLOAD_BYTES, type EchoedProbe, type ProbeReply, type ProbeRunCommand, type ReflectedProbe, type SentProbe } from './probe-protocol.ts';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function reply(message: ProbeReply): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function bind(socket: Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

async function reflector(address: string, port: number): Promise<void> {
  const socket = createSocket('udp4');
  let arrivals: ReflectedProbe[] = [];
  socket.on('message', (message, from) => {
    const arrivedMs = nowMs();
    if (message.length < PROBE_PAYLOAD_BYTES) return;
    arrivals.push([message.readUInt32BE(0), message.readUInt32BE(4), arrivedMs]);
    message.writeDoubleBE(arrivedMs, 16);
    socket.send(message, from.port, from.address);
  });
  await bind(socket, address, port);
  reply({ event: 'ready' });
  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    if (line.trim() !== 'dump') return;
    reply({ event: 'arrivals', arrivals });
    arrivals = [];
  });
  commands.on('close', () => socket.close());
}

async function prober(address: string, target: string, port: number): Promise<void> {
  const socket = createSocket('udp4');
  let echoes: EchoedProbe[] = [];
  let phase = -1;
  socket.on('message', (message) => {
    const echoedBackMs = nowMs();
    if (message.length < PROBE_PAYLOAD_BYTES || message.readUInt32BE(0) !== phase) return;
    echoes.push([message.readUInt32BE(4), message.readDoubleBE(8), message.readDoubleBE(16), echoedBackMs]);
  });
  await bind(socket, address, 0);
  // Connected: each send skips the per-datagram address lookup (a quarter of a ms here).
  await new Promise<void>((resolve) => socket.connect(port, target, resolve));
  reply({ event: 'ready' });

  const run = async (command: ProbeRunCommand) => {
    phase = command.phase;
    echoes = [];
    const sent: SentProbe[] = [];
    for (let seq = 0; seq < command.count; seq++) {
      const message = Buffer.alloc(PROBE_PAYLOAD_BYTES);
      message.writeUInt32BE(command.phase, 0);
      message.writeUInt32BE(seq, 4);
      const sentMs = nowMs();
      message.writeDoubleBE(sentMs, 8);
      socket.send(message);
      sent.push([seq, sentMs]);
      // One probe per tick, never a burst: probes must not queue behind each other.
      await new Promise((resolve) => setTimeout(resolve, command.spacingMs));
    }
    await new Promise((resolve) => setTimeout(resolve, command.drainMs));
    reply({ event: 'result', phase: command.phase, sent, echoes });
  };
  let queue = Promise.resolve();
  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    const command = JSON.parse(line) as ProbeRunCommand;
    queue = queue.then(() => run(command));
  });
  commands.on('close', () => void queue.then(() => socket.close()));
}

function main(argv: string[]): Promise<void> {
  const [role, ...args] = argv;
  if (role === 'reflector' && args.length === 2) return reflector(args[0]!, Number(args[1]));
  if (role === 'prober' && args.length === 3) return prober(args[0]!, args[1]!, Number(args[2]));
  throw new Error('usage: probe.ts reflector <bindAddr> <port> | prober <bindAddr> <targetAddr> <port>');
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`probe: ${(error as Error).message}\n`);
  process.exit(1);
});
