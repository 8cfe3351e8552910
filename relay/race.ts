// Opening a fresh MPTCP connection to the remote over the right link: a race in the
// spirit of RFC 8305, applied to links. Open over the link the monitor prefers (the first
// one up, or the first configured while there is no verdict), and if no SYN-ACK arrives
// within its race delay (1.5 x its smoothed RTT, at least 100 ms), also over the next; the
// first connected wins and the others are closed. So a link that died in the last few
// hundred ms, before the monitor says so, costs a new connection one race delay, not a
// SYN timeout. The pool's refills go where the pool says; with Fast Open a miss opens on
// the preferred link at once (its header rides in that SYN, which a race cannot keep).
import type net from 'node:net';
import type { Links } from './links.ts';
import type { MonitoredLink } from './link-monitor.ts';

export type OpenFrom = (sourceAddress?: string) => net.Socket;

export interface Opened {
  socket: net.Socket;
  /** The link of its first subflow; undefined when routing chose (no links configured). */
  link: MonitoredLink | undefined;
  /** A second link was tried (the first gave no SYN-ACK within its race delay). */
  raced: boolean;
}

export interface OpenHow {
  /** This link only (the pool's choice), at once: no race. */
  link?: MonitoredLink;
  /** Tried last: the link of a connection that just died. */
  avoid?: string;
  /** Open on the preferred link at once, still connecting (Fast Open: the first write rides in the SYN). */
  noRace?: boolean;
}

/** A socket that may still be connecting (a link chosen or none configured), or the winner of a race (connected). */
export async function openOverLinks(links: Links | undefined, open: OpenFrom, how: OpenHow = {}): Promise<Opened> {
  if (!links || links.list.length === 0) return { socket: open(), link: undefined, raced: false };
  if (how.link) return { socket: open(how.link.address), link: how.link, raced: false };
  const preferred = links.pick(how.avoid);
  if (preferred && how.noRace) return { socket: open(preferred.address), link: preferred, raced: false };
  const others = links.list.filter((link) => link !== preferred);
  const order = [...(preferred ? [preferred] : []), ...others.filter((link) => link.name !== how.avoid), ...others.filter((link) => link.name === how.avoid)];
  return race(links, open, order);
}

function race(links: Links, open: OpenFrom, order: readonly MonitoredLink[]): Promise<Opened> {
  const candidates = [...order];
  let attempts = 0;
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
      attempts++;
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
        resolve({ socket, link, raced: attempts > 1 });
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
