// The userspace path manager client against the real kernel, in a namespace of its own
// with net.mptcp.path_manager=userspace and two addresses per family on lo: an MPTCP echo
// server on the first, connections from the first, and each command checked on the
// connection's subflow list and the namespace's MIB counters (nstat), not on timings.
// `ip mptcp monitor` listens to the path manager's events throughout: a listener under
// the userspace PM accepts MP_JOINs only while someone does (else MPJoinRejected).
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { execa, type ResultPromise } from 'execa';
import { NetlinkError } from '../../relay/genetlink.ts';
import { familyOf } from '../../relay/ip.ts';
import { UserspacePm } from '../../relay/mptcp-pm.ts';
import { bindSource, fdOf, mptcpListenerFd, mptcpSequences, mptcpSocket, mptcpSubflows, mptcpToken } from '../../relay/sockets.ts';
import { enterNewNamespace, type TestNamespace } from './helpers/netns.ts';

const FIRST = '10.77.0.1';
const SECOND = '10.77.0.2';
const FIRST6 = 'fd77::1';
const SECOND6 = 'fd77::2';
const WAIT_MS = 5000;

let ns: TestNamespace;
let monitor: ResultPromise<{ reject: false }> | undefined;
let events = '';
let pm: UserspacePm;
const servers = new Map<string, net.Server>();
const clients = new Set<net.Socket>();

test.before(async () => {
  ns = await enterNewNamespace('upm');
  for (const address of [`${FIRST}/32`, `${SECOND}/32`, `${FIRST6}/128`, `${SECOND6}/128`]) await ns.run('ip', ['addr', 'add', address, 'dev', 'lo']);
  await ns.run('sysctl', ['-qw', 'net.mptcp.path_manager=userspace']);
  monitor = execa('ip', ['netns', 'exec', ns.name, 'ip', 'mptcp', 'monitor'], { reject: false });
  monitor.stdout.setEncoding('utf8').on('data', (text: string) => (events += text));
  for (const host of [FIRST, FIRST6]) {
    const server = net.createServer((socket) => socket.on('error', () => {}).pipe(socket));
    server.listen({ fd: mptcpListenerFd({ host, port: 0, fastOpenQueue: 0 }) });
    await once(server, 'listening');
    servers.set(host, server);
  }
  pm = UserspacePm.open();
});

test.after.always(async () => {
  pm?.close();
  for (const socket of clients) socket.destroy();
  for (const server of servers.values()) server.close();
  monitor?.kill();
  await monitor;
  await ns?.destroy();
});

async function waitFor(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function serverPort(host: string): number {
  return (servers.get(host)?.address() as net.AddressInfo).port;
}

/** Writes random bytes and resolves once the echo server sent them all back, unchanged. */
async function roundTrip(socket: net.Socket, bytes = 4096): Promise<boolean> {
  const sent = randomBytes(bytes);
  let echoed = Buffer.alloc(0);
  const onData = (chunk: Buffer) => (echoed = Buffer.concat([echoed, chunk]));
  socket.on('data', onData);
  socket.write(sent);
  try {
    await waitFor(() => echoed.length >= bytes, `${bytes} bytes echoed`);
  } finally {
    socket.off('data', onData);
  }
  return echoed.equals(sent);
}

interface Connection {
  socket: net.Socket;
  fd: number;
  token: number;
  server: { address: string; port: number };
}

/**
 * An MPTCP connection from `from` to the echo server on `to`, with one round trip made:
 * a connection is fully established (subflows can join) once the peer acked data.
 */
async function connect(from: string, to: string): Promise<Connection> {
  const fd = mptcpSocket(familyOf(from));
  bindSource(fd, from);
  const options: net.SocketConstructorOpts & { manualStart: boolean } = { fd, manualStart: true, readable: true, writable: true };
  const socket = new net.Socket(options).connect({ host: to, port: serverPort(to) });
  clients.add(socket);
  await once(socket, 'connect');
  if (!(await roundTrip(socket))) throw new Error('the first round trip came back changed');
  const token = mptcpToken(fd);
  if (token === undefined) throw new Error('the connection fell back to TCP');
  // Its CREATED event says the monitor listens, so the server accepts joins.
  await waitFor(() => events.includes(`token=${token.toString(16).padStart(8, '0')}`), 'the monitor to see the connection');
  return { socket, fd, token, server: { address: to, port: serverPort(to) } };
}

function localAddresses(connection: Connection): string[] {
  return mptcpSubflows(connection.fd).map(({ local }) => local.address);
}

async function counters(): Promise<Record<string, number>> {
  return (JSON.parse(await ns.run('nstat', ['-asz', '--json'])) as { kernel: Record<string, number> }).kernel;
}

/** Runs `command`, waits until each named counter rose, and says by how much each did. */
async function rises(names: readonly string[], command: () => void): Promise<Record<string, number>> {
  const before = await counters();
  command();
  let after = before;
  await waitFor(async () => {
    after = await counters();
    return names.every((name) => (after[name] ?? 0) > (before[name] ?? 0));
  }, `${names.join(', ')} to rise`);
  return Object.fromEntries(names.map((name) => [name, (after[name] ?? 0) - (before[name] ?? 0)]));
}

function netlinkError(t: ExecutionContext, command: () => void) {
  const error = t.throws(command, { instanceOf: NetlinkError });
  return { name: error?.name, command: error?.command, code: error?.code, kernelMessage: error?.kernelMessage, message: error?.message };
}

test.serial("mptcpToken, mptcpSequences and the subflows' byte counters read what the kernel reports for the connection (ss -M)", async (t) => {
  const connection = await connect(FIRST, FIRST);
  const info = await ns.run('ss', ['-Mni']);
  const entry = info.split(/\n(?=\S)/).find((lines) => lines.split(/\s+/)[3] === `${FIRST}:${connection.socket.localPort}`) ?? '';
  const hex = (field: string) => new RegExp(`${field}:([0-9a-f]+)`).exec(entry)?.[1] ?? '';
  t.is(connection.token, parseInt(hex('token'), 16));
  const sequences = mptcpSequences(connection.fd);
  // ss does not print mptcpi_bytes_retrans (iproute2 6.1): it is checked against the byte counters beside it below.
  t.deepEqual(sequences, { sndUna: BigInt(`0x${hex('snd_una')}`), rcvNxt: BigInt(`0x${hex('rcv_nxt')}`), resentBytes: 0n });
  const [subflowBefore] = mptcpSubflows(connection.fd);
  t.true(await roundTrip(connection.socket, 1000));
  await waitFor(() => mptcpSequences(connection.fd)?.sndUna !== sequences?.sndUna, 'the data ack');
  const after = mptcpSequences(connection.fd);
  t.is(BigInt.asUintN(64, (after?.sndUna ?? 0n) - (sequences?.sndUna ?? 0n)), 1000n);
  t.is(BigInt.asUintN(64, (after?.rcvNxt ?? 0n) - (sequences?.rcvNxt ?? 0n)), 1000n);
  // Sent, received and acked at the connection level each read 1000 now, the field next to them no more than a retransmission could.
  t.true((after?.resentBytes ?? 1000n) < 1000n, `resent ${after?.resentBytes}`);
  const [subflowAfter] = mptcpSubflows(connection.fd);
  t.deepEqual(
    [(subflowAfter?.bytesAcked ?? 0n) - (subflowBefore?.bytesAcked ?? 0n), (subflowAfter?.bytesReceived ?? 0n) - (subflowBefore?.bytesReceived ?? 0n)],
    [1000n, 1000n],
    'the one subflow carried the 1000 bytes each way',
  );
  const plain = net.connect({ host: FIRST, port: connection.server.port });
  clients.add(plain);
  await once(plain, 'connect');
  t.deepEqual([mptcpToken(fdOf(plain)), mptcpSequences(fdOf(plain)), mptcpSubflows(fdOf(plain))], [undefined, undefined, []], 'a TCP socket is no MPTCP connection');
  plain.destroy();
});

test.serial('createSubflow joins from the given address, setBackup sends MP_PRIO, destroySubflow closes it', async (t) => {
  const connection = await connect(FIRST, FIRST);
  t.deepEqual(localAddresses(connection), [FIRST]);
  const joined = await rises(['MPTcpExtMPJoinSynTx', 'MPTcpExtMPJoinAckRx'], () => pm.createSubflow(connection.token, { address: SECOND, id: 1, backup: false }, connection.server));
  t.deepEqual(joined, { MPTcpExtMPJoinSynTx: 1, MPTcpExtMPJoinAckRx: 1 });
  await waitFor(() => localAddresses(connection).length === 2, 'the second subflow');
  const [initial, second] = mptcpSubflows(connection.fd);
  t.like(second, { local: { address: SECOND, port: second?.local.port ?? 0, family: 4 }, remote: { ...connection.server, family: 4 } });
  t.like(
    netlinkError(t, () => pm.createSubflow(connection.token, { address: SECOND, id: 2, backup: false }, connection.server)),
    { code: 'EINVAL', kernelMessage: 'did not match address and id' },
    'an address keeps its id within the connection',
  );

  if (!initial || !second) return;
  t.deepEqual(await rises(['MPTcpExtMPPrioTx', 'MPTcpExtMPPrioRx'], () => pm.setBackup(connection.token, second.local, second.remote, true)), { MPTcpExtMPPrioTx: 1, MPTcpExtMPPrioRx: 1 });
  t.like(netlinkError(t, () => pm.setBackup(connection.token, { address: SECOND, port: 9 }, second.remote, false)), { code: 'EINVAL', kernelMessage: 'subflow not found' });

  t.deepEqual(
    netlinkError(t, () => pm.destroySubflow((connection.token ^ 1) >>> 0, second.local, second.remote)),
    { name: 'NetlinkError', command: 'MPTCP_PM_CMD_SUBFLOW_DESTROY', code: 'EINVAL', kernelMessage: 'invalid token', message: 'MPTCP_PM_CMD_SUBFLOW_DESTROY failed: EINVAL (invalid token)' },
  );
  t.like(netlinkError(t, () => pm.destroySubflow(connection.token, { ...second.local, port: 9 }, second.remote)), { code: 'ESRCH', kernelMessage: 'subflow not found' });
  t.deepEqual(await rises(['MPTcpExtRmSubflow'], () => pm.destroySubflow(connection.token, second.local, second.remote)), { MPTcpExtRmSubflow: 1 });
  await waitFor(() => localAddresses(connection).length === 1, 'the second subflow gone');
  t.deepEqual(
    mptcpSubflows(connection.fd).map(({ local, remote }) => ({ local, remote })),
    [{ local: initial.local, remote: initial.remote }],
  );
  // Destroying unlisted the address: it may come back with another id.
  pm.createSubflow(connection.token, { address: SECOND, id: 2, backup: true }, connection.server);
  await waitFor(() => localAddresses(connection).length === 2, 'the address joined again');
  t.true(await roundTrip(connection.socket));
});

test.serial('removeAddress sends REMOVE_ADDR and the peer closes the subflows from that address, the initial one too', async (t) => {
  const connection = await connect(FIRST, FIRST);
  pm.createSubflow(connection.token, { address: SECOND, id: 1, backup: false }, connection.server);
  await waitFor(() => localAddresses(connection).length === 2, 'the second subflow');
  t.deepEqual(await rises(['MPTcpExtRmAddrTx', 'MPTcpExtRmAddr'], () => pm.removeAddress(connection.token, 1)), { MPTcpExtRmAddrTx: 1, MPTcpExtRmAddr: 1 });
  await waitFor(() => localAddresses(connection).length === 1, 'the peer to close the subflow from id 1');
  t.deepEqual(localAddresses(connection), [FIRST]);
  t.like(netlinkError(t, () => pm.removeAddress(connection.token, 1)), { code: 'EINVAL', kernelMessage: 'address with id 1 not found' }, 'removing unlists the id');
  t.true(await roundTrip(connection.socket));

  pm.createSubflow(connection.token, { address: SECOND, id: 1, backup: false }, connection.server);
  await waitFor(() => localAddresses(connection).length === 2, 'the second subflow back');
  t.deepEqual(await rises(['MPTcpExtRmAddrTx', 'MPTcpExtRmAddr'], () => pm.removeAddress(connection.token, 0)), { MPTcpExtRmAddrTx: 1, MPTcpExtRmAddr: 1 });
  // The kernel still lists the closed initial subflow; mptcpSubflows leaves it out.
  await waitFor(() => localAddresses(connection).length === 1, 'the peer to close the initial subflow');
  t.deepEqual(localAddresses(connection), [SECOND]);
  t.true(await roundTrip(connection.socket), 'data goes on over the subflow left');
});

test.serial('createSubflow over IPv6', async (t) => {
  const connection = await connect(FIRST6, FIRST6);
  const joined = await rises(['MPTcpExtMPJoinSynTx', 'MPTcpExtMPJoinAckRx'], () => pm.createSubflow(connection.token, { address: SECOND6, id: 1, backup: false }, connection.server));
  t.deepEqual(joined, { MPTcpExtMPJoinSynTx: 1, MPTcpExtMPJoinAckRx: 1 });
  await waitFor(() => localAddresses(connection).length === 2, 'the second subflow');
  t.deepEqual(localAddresses(connection), [FIRST6, SECOND6]);
  t.true(await roundTrip(connection.socket));
});

test.serial("a connection made under the in-kernel PM refuses the userspace PM's commands", async (t) => {
  await ns.run('sysctl', ['-qw', 'net.mptcp.path_manager=kernel']);
  let connection: Connection;
  try {
    connection = await connect(FIRST, FIRST);
  } finally {
    await ns.run('sysctl', ['-qw', 'net.mptcp.path_manager=userspace']);
  }
  t.deepEqual(netlinkError(t, () => pm.createSubflow(connection.token, { address: SECOND, id: 1, backup: false }, connection.server)), {
    name: 'NetlinkError',
    command: 'MPTCP_PM_CMD_SUBFLOW_CREATE',
    code: 'EINVAL',
    kernelMessage: 'userspace PM not selected',
    message: 'MPTCP_PM_CMD_SUBFLOW_CREATE failed: EINVAL (userspace PM not selected)',
  });
  t.deepEqual(localAddresses(connection), [FIRST]);
  t.true(await roundTrip(connection.socket));
});
