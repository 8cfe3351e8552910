// Opening a fresh MPTCP connection to the remote over the right link. A link the monitor
// says is up: its source address, at once. No verdict (starting up, or every link down):
// a race in the spirit of RFC 8305, applied to links: open over the first link, and if no
// SYN-ACK arrives within its race delay (1.5 x its smoothed RTT, at least 100 ms), also
// over the next; the first connected wins and the others are closed.
import type net from 'node:net';
import type { Links } from './links.ts';
import type { MonitoredLink } from './link-monitor.ts';

export type OpenFrom = (sourceAddress?: string) => net.Socket;

export interface Opened {
  socket: net.Socket;
  /** The link of its first subflow; undefined when routing chose (no links configured). */
  link: MonitoredLink | undefined;
  raced: boolean;
}

/**
 * A socket that may still be connecting (over `link`, the links' pick other than
 * `avoid`, or none configured), or the winner of a race (connected) when no link is up.
 */
export async function openOverLinks(links: Links | undefined, open: OpenFrom, link?: MonitoredLink, avoid?: string): Promise<Opened> {
  if (!links || links.list.length === 0) return { socket: open(), link: undefined, raced: false };
  const chosen = link ?? links.pick(avoid);
  if (chosen) return { socket: open(chosen.address), link: chosen, raced: false };
  return { ...(await race(links, open)), raced: true };
}

function race(links: Links, open: OpenFrom): Promise<Omit<Opened, 'raced'>> {
  const candidates = [...links.list];
  return new Promise((resolve, reject) => {
    const running = new Map<net.Socket, MonitoredLink>();
    let timer: NodeJS.Timeout | undefined;
    let lastError: unknown = new Error('no link to race');
    let done = false;
    const finish = (winner?: net.Socket) => {
      done = true;
      clearTimeout(timer);
      for (const [socket] of running) {
        socket.removeAllListeners('connect');
        if (socket !== winner) socket.destroy();
      }
    };
    const next = () => {
      clearTimeout(timer);
      const link = candidates.shift();
      if (!link) {
        if (running.size === 0) {
          finish();
          reject(lastError);
        }
        return;
      }
      let socket: net.Socket;
      try {
        socket = open(link.address);
      } catch (error) {
        lastError = error;
        return next();
      }
      running.set(socket, link);
      socket.once('connect', () => {
        if (done) return;
        finish(socket);
        resolve({ socket, link });
      });
      socket.once('error', (error) => {
        running.delete(socket);
        lastError = error;
        if (!done) next();
      });
      timer = setTimeout(next, links.raceDelayMs(link));
    };
    next();
  });
}
