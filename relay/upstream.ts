// Connections from the local to the remote: MPTCP sockets made through libc, handed to
// Node, with Fast Open when asked. Also the one place that reads the remote's answers.
import net from 'node:net';
import { familyOf } from './ip.ts';
import { ANSWER_BYTES, answerVerifies, CHALLENGE_BYTES, HELLO_ANSWER_BYTES, STATUS, statusName } from './protocol.ts';
import type { KeepaliveOptions } from './sockets.ts';
import { bindSource, closeFd, enableFastOpenConnect, mptcpSocket, setKeepalive } from './sockets.ts';

export interface UpstreamTarget {
  address: string;
  port: number;
  fastOpen: boolean;
  keepalive: KeepaliveOptions;
}

/**
 * Starts an MPTCP connection to the remote. Writes made right away are queued by Node
 * and, with Fast Open, the first of them rides in the SYN (once the kernel holds a
 * cookie for the remote; the very first connection learns it). Keepalive tuning the
 * kernel refuses (MPTCP sockets before 2024 refuse TCP_KEEPIDLE/INTVL/CNT) is handed to
 * `onKeepaliveRefused`, and the connection goes on without it. With `sourceAddress`, the
 * first subflow leaves from that address (one link's), else from where routing says.
 */
export function openUpstream(target: UpstreamTarget, onKeepaliveRefused: (error: unknown) => void, how: { sourceAddress?: string; keepalive?: typeof setKeepalive } = {}): net.Socket {
  const { sourceAddress, keepalive = setKeepalive } = how;
  const fd = mptcpSocket(familyOf(target.address));
  try {
    if (sourceAddress !== undefined) bindSource(fd, sourceAddress);
    if (target.fastOpen) enableFastOpenConnect(fd);
  } catch (error) {
    closeFd(fd);
    throw error;
  }
  try {
    keepalive(fd, target.keepalive);
  } catch (error) {
    onKeepaliveRefused(error);
  }
  // manualStart: without it Node starts reading before connect() and the read fails.
  const options: net.SocketConstructorOpts & { manualStart: boolean } = { fd, manualStart: true, allowHalfOpen: true, readable: true, writable: true };
  const socket = new net.Socket(options);
  socket.setNoDelay(true);
  return socket.connect({ host: target.address, port: target.port });
}

export type AnswerOutcome =
  /** `verified`: the MAC proves the remote sent it for this request (only an ok answer is waited for in full). */
  | { kind: 'answer'; code: number; verified: boolean; challenge?: Buffer }
  | { kind: 'none'; why: 'reset' | 'unreachable' | 'closed' | 'timeout' };

export interface AnswerExpected {
  /** An answer to a hello: an ok one carries a challenge. */
  hello: boolean;
  secret: Buffer;
  /** The nonce of the header being answered. */
  nonce: Buffer;
  timeoutMs: number;
}

/**
 * Reads the remote's answer to a header. A refusal is taken at its first byte (the
 * client is reset whether or not anyone could forge it); an ok answer is read whole and
 * verified, since only a verified ok lets the remote's bytes reach the client. Bytes
 * after the answer are put back, and the socket is left paused for whoever pipes it next.
 */
export function readAnswer(socket: net.Socket, expected: AnswerExpected): Promise<AnswerOutcome> {
  const fullLength = expected.hello ? HELLO_ANSWER_BYTES : ANSWER_BYTES;
  return new Promise((resolve) => {
    let pending = Buffer.alloc(0);
    const done = (outcome: AnswerOutcome) => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onError);
      socket.pause();
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const code = pending[0];
      if (code === undefined) return;
      if (code !== STATUS.ok) return done({ kind: 'answer', code, verified: false });
      if (pending.length < fullLength) return;
      const wire = pending.subarray(0, fullLength);
      const verified = answerVerifies(wire, expected.secret, expected.nonce);
      // Listeners off and paused first: unshift() on a flowing socket would hand the rest straight back here.
      done({ kind: 'answer', code, verified, ...(expected.hello ? { challenge: Buffer.from(wire.subarray(1, 1 + CHALLENGE_BYTES)) } : {}) });
      if (pending.length > fullLength) socket.unshift(pending.subarray(fullLength));
    };
    const onEnd = () => done({ kind: 'none', why: 'closed' });
    const onClose = () => done({ kind: 'none', why: 'closed' });
    const onError = (error: NodeJS.ErrnoException) => done({ kind: 'none', why: error.code === 'ECONNRESET' ? 'reset' : error.syscall === 'connect' ? 'unreachable' : 'closed' });
    const timer = setTimeout(() => done({ kind: 'none', why: 'timeout' }), expected.timeoutMs);
    socket.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onError);
    socket.resume();
  });
}

/** Why an answer did not let the connection go on, in words for logs and metric labels. */
export function answerProblem(outcome: AnswerOutcome): string | undefined {
  if (outcome.kind === 'none') return outcome.why === 'reset' ? 'reset-without-answer' : `no-answer-${outcome.why}`;
  if (outcome.code !== STATUS.ok) return statusName(outcome.code) ?? `status-${outcome.code}`;
  return outcome.verified ? undefined : 'answer-mac';
}
