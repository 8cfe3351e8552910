// Which links one connection should have a subflow on, and which of those may carry its
// bytes, as pure arithmetic on the links' verdicts and round trips. Every link that is
// up gets a subflow, so that a dead link costs no handshake; only the connection's home
// link sends (the others are backup: MP_PRIO, so neither end schedules bytes there),
// until the connection is bulk, when every link that is up sends. An interactive byte
// thus never waits behind a slower path's queue or round trip (RFC 6356's "do no harm").
import type { LinkVerdict } from './link-health.ts';

export interface LinkView {
  name: string;
  verdict: LinkVerdict;
  /** Smoothed probe round trip; undefined before the link answered. */
  srttMs: number | undefined;
}

/** What a connection should have on one link: a sending subflow, a backup one, none, or whatever it has now. */
export type SubflowWant = 'active' | 'backup' | 'absent' | 'keep';

export interface PathChoice {
  /** The link of the connection's first subflow: where the pool chose to put its bytes. */
  home: string | undefined;
  /** The connection is bulk: every link that is up may carry it. */
  bulk: boolean;
  /** What a dead link keeps: `remove` none, `backup` a backup subflow, `none` whatever it has. */
  deadLink: 'remove' | 'backup' | 'none';
}

/**
 * The link that carries an interactive connection: its home while that is up, else the up
 * link with the shortest round trip (the first listed on a tie); undefined when none is up.
 */
export function sendingLink(links: readonly LinkView[], home: string | undefined): string | undefined {
  const up = links.filter((link) => link.verdict === 'up');
  if (up.some((link) => link.name === home)) return home;
  let best: LinkView | undefined;
  for (const link of up) if (!best || (link.srttMs ?? Infinity) < (best.srttMs ?? Infinity)) best = link;
  return best?.name;
}

/**
 * One want per link, in the links' order. With no link up nothing changes (there is
 * nowhere to move to, and removing a subflow could close the last one); a link not yet
 * judged keeps what it has.
 */
export function wantedSubflows(links: readonly LinkView[], choice: PathChoice): SubflowWant[] {
  const sender = sendingLink(links, choice.home);
  if (sender === undefined) return links.map(() => 'keep');
  return links.map((link): SubflowWant => {
    if (link.verdict === 'unknown') return 'keep';
    if (link.verdict === 'down') return choice.deadLink === 'remove' ? 'absent' : choice.deadLink === 'backup' ? 'backup' : 'keep';
    return choice.bulk || link.name === sender ? 'active' : 'backup';
  });
}
