// A silent-connection flood, run with plain `node` in a namespace of its own (so its own
// work does not run in the measuring test's event loop): <total> TCP connections to
// <host>:<port> at <perSecond> a second, none of which ever sends a byte; each is held
// until the other end closes or resets it. Usage:
//   node silent-flood.mjs <host> <port> <total> <perSecond>
// Prints "started" at the first connect and, once every connection has ended, one JSON
// line: { attempted, connected, reset, closed, failed, failedBy: { code: n }, seconds }
// (connected: the handshake completed, which the kernel does before the remote has even
// accepted; reset/closed: how the remote ended a connected one; failed: before connect).
import net from 'node:net';

const [host, portArg, totalArg, rateArg] = process.argv.slice(2);
const port = Number(portArg);
const total = Number(totalArg);
const perSecond = Number(rateArg);
const counts = { attempted: 0, connected: 0, reset: 0, closed: 0, failed: 0, failedBy: {} };
let ended = 0;
const started = process.hrtime.bigint();

function finish() {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ ...counts, seconds })}\n`);
  process.exit(0);
}

function one() {
  counts.attempted++;
  let connected = false;
  let outcome = 'closed';
  const socket = net.connect({ host, port });
  socket.on('connect', () => {
    connected = true;
    counts.connected++;
  });
  socket.on('error', (error) => {
    outcome = connected && error.code === 'ECONNRESET' ? 'reset' : 'failed';
    if (outcome === 'failed') counts.failedBy[error.code] = (counts.failedBy[error.code] ?? 0) + 1;
  });
  socket.on('close', () => {
    counts[outcome]++;
    if (++ended === total) finish();
  });
}

// Paced in 10 ms ticks: each tick opens what the rate allows by now.
process.stdout.write('started\n');
const timer = setInterval(() => {
  const due = Math.min(total, Math.floor((Number(process.hrtime.bigint() - started) / 1e9) * perSecond));
  while (counts.attempted < due) one();
  if (counts.attempted === total) clearInterval(timer);
}, 10);
