// The socket calls Node does not expose, made through libc with koffi (no compiled addon):
// MPTCP sockets, TCP Fast Open, keepalive tuning, the NAT original destination, MPTCP_INFO.
// Node still owns every socket after creation: these functions only hand it file descriptors.
import koffi from 'koffi';
import net from 'node:net';
import os from 'node:os';
import { familyOf, ipv4Bytes, ipv4Text, ipv6Bytes, ipv6Text, type IpFamily } from './ip.ts';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_TCP = 6;
const IPPROTO_MPTCP = 262;
const SOL_SOCKET = 1;
const SOL_IP = 0;
const SOL_IPV6 = 41;
const SOL_MPTCP = 284;
const SO_REUSEADDR = 2;
const SO_PROTOCOL = 38;
const SO_ERROR = 4;
/** IP_TRANSPARENT (linux/in.h) and IPV6_TRANSPARENT (linux/in6.h): accept TPROXY'd connections. */
const IP_TRANSPARENT = 19;
const IPV6_TRANSPARENT = 75;
const SO_KEEPALIVE = 9;
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;
const TCP_FASTOPEN = 23;
const TCP_FASTOPEN_CONNECT = 30;
const TCP_USER_TIMEOUT = 18;
const TCP_NOTSENT_LOWAT = 25;
/** SIOCOUTQNSD (linux/sockios.h): bytes written and not yet sent; TCP and MPTCP sockets answer it. */
const SIOCOUTQNSD = 0x894b;
/** SO_ORIGINAL_DST (linux/netfilter_ipv4.h) and IP6T_SO_ORIGINAL_DST share the number 80. */
const SO_ORIGINAL_DST = 80;
const MPTCP_INFO = 1;
const TCP_INFO = 11;
/** tcpi_state of a socket the kernel has closed (include/net/tcp_states.h). */
const TCP_CLOSE = 7;
const MPTCP_INFO_FLAG_FALLBACK = 1;
const SOCKADDR_IN_BYTES = 16;
const SOCKADDR_IN6_BYTES = 28;

const libc = koffi.load('libc.so.6');
const c = {
  socket: libc.func('int socket(int, int, int)'),
  bind: libc.func('int bind(int, void *, uint32_t)'),
  close: libc.func('int close(int)'),
  setsockopt: libc.func('int setsockopt(int, int, int, void *, uint32_t)'),
  getsockopt: libc.func('int getsockopt(int, int, int, _Out_ void *, _Inout_ uint32_t *)'),
  ioctl: libc.func('int ioctl(int, unsigned long, _Out_ int *)'),
};

export type { IpFamily };

export interface Endpoint {
  address: string;
  port: number;
  family: IpFamily;
}

/** A failed libc call, carrying errno by name as Node's own errors do (code 'EPERM', ...). */
export class SocketCallError extends Error {
  readonly code: string;
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    const code = errnoName(errno);
    super(`${call} failed: ${code}`);
    this.name = 'SocketCallError';
    this.code = code;
  }
}

/** errno by name ('EINVAL', ...), as Node names it; also for errors the kernel reports other ways (netlink). */
export function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(os.constants.errno)) if (value === errno) return name;
  return `errno ${errno}`;
}

/** A libc call's result, or its failure thrown as a SocketCallError. */
export function checkCall(call: string, result: number): number {
  if (result < 0) throw new SocketCallError(call, koffi.errno());
  return result;
}

function int32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(value);
  return buf;
}

/** setsockopt with an int value. */
export function setIntOption(fd: number, level: number, name: number, value: number, call: string): void {
  checkCall(call, c.setsockopt(fd, level, name, int32(value), 4));
}

/** A new MPTCP stream socket, not yet bound or connected. The caller owns the fd. */
export function mptcpSocket(family: IpFamily): number {
  return checkCall('socket(IPPROTO_MPTCP)', c.socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP));
}

/** Binds a socket to a local address (port 0): its connection leaves from that address, over the link policy routing gives it. */
export function bindSource(fd: number, address: string): void {
  const sa = encodeSockaddr({ address, port: 0, family: familyOf(address) });
  checkCall('bind', c.bind(fd, sa, sa.length));
}

export function closeFd(fd: number): void {
  checkCall('close', c.close(fd));
}

function encodeSockaddr(endpoint: Endpoint): Buffer {
  if (endpoint.family === 4) {
    const sa = Buffer.alloc(SOCKADDR_IN_BYTES);
    sa.writeUInt16LE(AF_INET, 0);
    sa.writeUInt16BE(endpoint.port, 2);
    ipv4Bytes(endpoint.address).copy(sa, 4);
    return sa;
  }
  const sa = Buffer.alloc(SOCKADDR_IN6_BYTES);
  sa.writeUInt16LE(AF_INET6, 0);
  sa.writeUInt16BE(endpoint.port, 2);
  ipv6Bytes(endpoint.address).copy(sa, 8);
  return sa;
}

function decodeSockaddr(sa: Buffer, length: number): Endpoint {
  const family = sa.readUInt16LE(0);
  const port = sa.readUInt16BE(2);
  if (family === AF_INET && length >= SOCKADDR_IN_BYTES) return { address: ipv4Text(sa.subarray(4, 8)), port, family: 4 };
  if (family === AF_INET6 && length >= SOCKADDR_IN6_BYTES) return { address: ipv6Text(sa.subarray(8, 24)), port, family: 6 };
  throw new Error(`unexpected sockaddr family ${family} (${length} bytes)`);
}

export interface ListenOptions {
  host: string;
  port: number;
  /** Queue of pending Fast Open requests; 0 leaves TFO off on this listener. */
  fastOpenQueue: number;
}

/** Binds a new listening socket's fd, closing it if anything fails. */
function boundListenerFd(fd: number, options: Pick<ListenOptions, 'host' | 'port'>, family: IpFamily, configure: () => void): number {
  try {
    setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, 'setsockopt(SO_REUSEADDR)');
    configure();
    const sa = encodeSockaddr({ address: options.host, port: options.port, family });
    checkCall('bind', c.bind(fd, sa, sa.length));
    return fd;
  } catch (error) {
    c.close(fd);
    throw error;
  }
}

/**
 * A bound MPTCP socket ready for `server.listen({ fd })` (Node calls listen(2) itself).
 * Plain TCP clients are still accepted: the kernel falls back per connection.
 */
export function mptcpListenerFd(options: ListenOptions): number {
  const family = familyOf(options.host);
  const fd = mptcpSocket(family);
  return boundListenerFd(fd, options, family, () => {
    if (options.fastOpenQueue > 0) setIntOption(fd, IPPROTO_TCP, TCP_FASTOPEN, options.fastOpenQueue, 'setsockopt(TCP_FASTOPEN)');
  });
}

/**
 * A bound plain TCP socket with IP_TRANSPARENT, for nftables TPROXY interception: the
 * accepted connections keep their original destination as their local address.
 * Needs CAP_NET_ADMIN.
 */
export function transparentListenerFd(options: Pick<ListenOptions, 'host' | 'port'>): number {
  const family = familyOf(options.host);
  const fd = checkCall('socket(IPPROTO_TCP)', c.socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP));
  return boundListenerFd(fd, options, family, () =>
    family === 4
      ? setIntOption(fd, SOL_IP, IP_TRANSPARENT, 1, 'setsockopt(IP_TRANSPARENT)')
      : setIntOption(fd, SOL_IPV6, IPV6_TRANSPARENT, 1, 'setsockopt(IPV6_TRANSPARENT)'),
  );
}

/** Lets connect() return at once and carry the first write in the SYN (when a cookie is cached). */
export function enableFastOpenConnect(fd: number): void {
  setIntOption(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1, 'setsockopt(TCP_FASTOPEN_CONNECT)');
}

export interface KeepaliveOptions {
  idleSec: number;
  intervalSec: number;
  count: number;
}

/** Keepalive with all three knobs (Node sets only the idle time). MPTCP accepts these since 6.x. */
export function setKeepalive(fd: number, options: KeepaliveOptions): void {
  setIntOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1, 'setsockopt(SO_KEEPALIVE)');
  setIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, options.idleSec, 'setsockopt(TCP_KEEPIDLE)');
  setIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL, options.intervalSec, 'setsockopt(TCP_KEEPINTVL)');
  setIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT, options.count, 'setsockopt(TCP_KEEPCNT)');
}

/**
 * TCP_NOTSENT_LOWAT: the kernel takes writes only while less than `bytes` of what was
 * written is still unsent, so a backlog stays with the sender instead of the socket
 * (MPTCP sockets apply it at the connection level since 6.8, TCP ones per socket).
 */
export function setNotSentLowat(fd: number, bytes: number): void {
  setIntOption(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, bytes, 'setsockopt(TCP_NOTSENT_LOWAT)');
}

/** Bytes the kernel holds for `fd` written but not yet sent (SIOCOUTQNSD); 0 when it cannot say (the socket is closing). */
export function kernelUnsentBytes(fd: number): number {
  const out = [0];
  return c.ioctl(fd, SIOCOUTQNSD, out) < 0 ? 0 : (out[0] ?? 0);
}

/** Whether a new MPTCP socket takes TCP_USER_TIMEOUT: undefined if it does, else the errno's name. */
export function userTimeoutOnMptcp(): string | undefined {
  const fd = mptcpSocket(4);
  try {
    setIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 30_000, 'setsockopt(TCP_USER_TIMEOUT)');
    return undefined;
  } catch (error) {
    return error instanceof SocketCallError ? error.code : String(error);
  } finally {
    c.close(fd);
  }
}

function protocolOf(fd: number): number | undefined {
  const protocol = Buffer.alloc(4);
  return c.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, protocol, [4]) < 0 ? undefined : protocol.readInt32LE(0);
}

/** Plain TCP, not MPTCP (TCP_INFO on an MPTCP socket describes one subflow, not the connection). */
export function isPlainTcp(fd: number): boolean {
  return protocolOf(fd) === IPPROTO_TCP;
}

/**
 * Whether a plain TCP socket was reset by its peer while data is still queued for
 * reading: Linux returns that data first and the reset only after it, so a relay that
 * reads it would send on what the peer gave up. A reset closes the socket with its error
 * pending (ECONNRESET, or EPIPE after the peer's FIN); a socket closed by two FINs is
 * closed too, but with no error: its queued bytes are the peer's last ones and go on.
 */
export function tcpResetUnderneath(fd: number): boolean {
  const info = Buffer.alloc(8);
  if (c.getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, [info.length]) < 0 || info[0] !== TCP_CLOSE) return false;
  const error = Buffer.alloc(4);
  return c.getsockopt(fd, SOL_SOCKET, SO_ERROR, error, [4]) === 0 && error.readInt32LE(0) !== 0;
}

/** Where a connection redirected by nftables (REDIRECT/DNAT) was headed. Plain TCP sockets only. */
export function originalDestination(fd: number, family: IpFamily): Endpoint {
  const size = family === 4 ? SOCKADDR_IN_BYTES : SOCKADDR_IN6_BYTES;
  const sa = Buffer.alloc(size);
  const length = [size];
  checkCall(
    family === 4 ? 'getsockopt(SO_ORIGINAL_DST)' : 'getsockopt(IP6T_SO_ORIGINAL_DST)',
    c.getsockopt(fd, family === 4 ? SOL_IP : SOL_IPV6, SO_ORIGINAL_DST, sa, length),
  );
  return decodeSockaddr(sa, length[0] ?? 0);
}

export interface MptcpState {
  /** False when the connection fell back to plain TCP (the peer or a middlebox refused MPTCP). */
  mptcp: boolean;
  /** Subflows including the initial one (the kernel's mptcpi_subflows counts only the additional ones). */
  subflows: number;
}

/**
 * MPTCP_INFO of a connected socket: the info, 'fallback' when the connection fell back
 * to TCP (the kernel then refuses MPTCP_INFO, the getsockopt going to the one TCP
 * subflow, or flags it), undefined for a socket that is not MPTCP at all.
 */
function mptcpInfo(fd: number): Buffer | 'fallback' | undefined {
  if (protocolOf(fd) !== IPPROTO_MPTCP) return undefined;
  const info = Buffer.alloc(96);
  if (c.getsockopt(fd, SOL_MPTCP, MPTCP_INFO, info, [info.length]) < 0 || info.readUInt32LE(8) & MPTCP_INFO_FLAG_FALLBACK) return 'fallback';
  return info;
}

/** Whether a connection is MPTCP and how many subflows it has; undefined for a socket that is not MPTCP at all. */
export function mptcpState(fd: number): MptcpState | undefined {
  const info = mptcpInfo(fd);
  if (info === undefined) return undefined;
  if (info === 'fallback') return { mptcp: false, subflows: 1 };
  return { mptcp: true, subflows: 1 + (info[0] ?? 0) };
}

/**
 * Bytes written to an MPTCP connection that the peer has not acknowledged at the
 * connection level (mptcpi_write_seq - mptcpi_snd_una): 0 once the remote holds all of
 * it. Undefined when the socket is not MPTCP or fell back to TCP.
 */
export function mptcpUnackedBytes(fd: number): number | undefined {
  const info = mptcpInfo(fd);
  return info instanceof Buffer ? Number(info.readBigUInt64LE(16) - info.readBigUInt64LE(24)) : undefined;
}

/** The file descriptor under a connected Node socket (Unix only; Node does not type it). */
export function fdOf(socket: net.Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no file descriptor');
  return fd;
}

/**
 * The connection's token (mptcpi_token): the name the path manager knows it by.
 * Undefined when the socket is not MPTCP or fell back to TCP.
 */
export function mptcpToken(fd: number): number | undefined {
  const info = mptcpInfo(fd);
  return info instanceof Buffer ? info.readUInt32LE(12) : undefined;
}

export interface MptcpSequences {
  /** mptcpi_snd_una: the next data sequence number the peer has to acknowledge. */
  sndUna: bigint;
  /** mptcpi_rcv_nxt: the next data sequence number expected from the peer. */
  rcvNxt: bigint;
  /** mptcpi_bytes_retrans (kernel 6.5+): bytes this end sent again at the connection level, on the same subflow or reinjected on another. */
  resentBytes: bigint;
}

/**
 * The connection-level data sequence numbers, and what this end sent twice. The sequence
 * numbers start at a random initial number and wrap at 2^64, so only differences mean
 * bytes: BigInt.asUintN(64, later - earlier). Undefined when the socket is not MPTCP or
 * fell back to TCP.
 */
export function mptcpSequences(fd: number): MptcpSequences | undefined {
  const info = mptcpInfo(fd);
  return info instanceof Buffer ? { sndUna: info.readBigUInt64LE(24), rcvNxt: info.readBigUInt64LE(32), resentBytes: info.readBigUInt64LE(48) } : undefined;
}

const MPTCP_TCPINFO = 2;
const MPTCP_SUBFLOW_ADDRS = 3;
/** struct mptcp_subflow_data: u32 size_subflow_data, num_subflows, size_kernel, size_user. */
const SUBFLOW_DATA_BYTES = 16;
/** struct mptcp_subflow_addrs: the local then the remote sockaddr, each in a sockaddr_storage. */
const SOCKADDR_STORAGE_BYTES = 128;
const SUBFLOW_ADDRS_BYTES = 2 * SOCKADDR_STORAGE_BYTES;
/** Of each subflow's tcp_info, up to tcpi_bytes_received: tcpi_state is its first byte. */
const TCPI_BYTES_ACKED_AT = 120;
const TCPI_BYTES_RECEIVED_AT = 128;
const TCPI_BYTES = 136;
/** Subflows the first getsockopt makes room for; more and it asks again with room for all. */
const SUBFLOWS_FIRST_ROOM = 8;

/**
 * One of the per-subflow MPTCP options: struct mptcp_subflow_data, then an element of
 * (at most) `elementBytes` per subflow, in the kernel's order. Undefined when refused.
 */
function perSubflow(fd: number, option: number, elementBytes: number): Buffer[] | undefined {
  for (let room = SUBFLOWS_FIRST_ROOM; ; ) {
    const data = Buffer.alloc(SUBFLOW_DATA_BYTES + room * elementBytes);
    data.writeUInt32LE(SUBFLOW_DATA_BYTES, 0);
    data.writeUInt32LE(elementBytes, 12);
    if (c.getsockopt(fd, SOL_MPTCP, option, data, [data.length]) < 0) return undefined;
    const count = data.readUInt32LE(4);
    // The kernel counts every subflow but writes only those that fit.
    if (count > room) {
      room = count;
      continue;
    }
    const stride = data.readUInt32LE(12);
    return Array.from({ length: count }, (_, i) => data.subarray(SUBFLOW_DATA_BYTES + i * stride, SUBFLOW_DATA_BYTES + (i + 1) * stride));
  }
}

export interface Subflow {
  local: Endpoint;
  remote: Endpoint;
  /** tcpi_bytes_acked: bytes this subflow sent that the peer acknowledged. */
  bytesAcked: bigint;
  /** tcpi_bytes_received: bytes this subflow received. */
  bytesReceived: bigint;
}

/**
 * The subflows of an MPTCP connection that are not closed, with their addresses
 * (MPTCP_SUBFLOW_ADDRS) and byte counters (MPTCP_TCPINFO): the kernel keeps listing the
 * initial subflow after it closed, until the connection does, so each one's TCP state is
 * read too. Empty when the socket is not MPTCP, or fell back to TCP and the kernel
 * refuses the options.
 */
export function mptcpSubflows(fd: number): Subflow[] {
  if (protocolOf(fd) !== IPPROTO_MPTCP) return [];
  for (;;) {
    const addresses = perSubflow(fd, MPTCP_SUBFLOW_ADDRS, SUBFLOW_ADDRS_BYTES);
    const infos = perSubflow(fd, MPTCP_TCPINFO, TCPI_BYTES);
    if (addresses === undefined || infos === undefined) return [];
    // A subflow came or went between the two calls: ask again.
    if (addresses.length !== infos.length) continue;
    const subflows: Subflow[] = [];
    addresses.forEach((element, i) => {
      const info = infos[i];
      if (!info || info[0] === TCP_CLOSE) return;
      subflows.push({
        local: decodeSockaddr(element.subarray(0, SOCKADDR_STORAGE_BYTES), SOCKADDR_STORAGE_BYTES),
        remote: decodeSockaddr(element.subarray(SOCKADDR_STORAGE_BYTES), SOCKADDR_STORAGE_BYTES),
        bytesAcked: info.length >= TCPI_BYTES ? info.readBigUInt64LE(TCPI_BYTES_ACKED_AT) : 0n,
        bytesReceived: info.length >= TCPI_BYTES ? info.readBigUInt64LE(TCPI_BYTES_RECEIVED_AT) : 0n,
      });
    });
    return subflows;
  }
}
