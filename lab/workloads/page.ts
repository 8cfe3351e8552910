// The synthetic page of the pageload workload: one ~30 KB document, then 40 objects of a
// fixed, seeded size mix (37 of 2-50 KB, log-uniform as small images and scripts are,
// and 3 of 100-300 KB), 1.02 MB in all, in a seeded order, over at most 6 connections
// as browsers open per host. The same page in every run and system.
import { seededRandom } from '../stats/random.ts';
import type { PageSpec } from './probe/page.ts';

const KB = 1024;
const SMALL_OBJECTS = 37;
const LARGE_OBJECTS = 3;
/** Chosen so the objects add up to about 1 MB (992,511 bytes). */
const SEED = 7;

function syntheticPage(): PageSpec {
  const random = seededRandom(SEED);
  const small = Array.from({ length: SMALL_OBJECTS }, () => Math.round(2 * KB * Math.pow(25, random())));
  const large = Array.from({ length: LARGE_OBJECTS }, () => Math.round(100 * KB + random() * 200 * KB));
  // Fisher-Yates with the same generator: large objects anywhere in the page, the same place every time.
  const objectBytes = [...small, ...large];
  for (let i = objectBytes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [objectBytes[i], objectBytes[j]] = [objectBytes[j]!, objectBytes[i]!];
  }
  return { documentBytes: 30 * KB, objectBytes, connections: 6 };
}

export const SYNTHETIC_PAGE: PageSpec = syntheticPage();

/** Every byte of a page, document included. */
export function pageBytes(page: PageSpec): number {
  return page.documentBytes + page.objectBytes.reduce((sum, b) => sum + b, 0);
}

/** TCP/IP headers take 52 of 1500 bytes (MSS 1448 with timestamps): at most this share of a link's rate is payload. */
const PAYLOAD_SHARE = 1448 / 1500;
/** Rounds of slow start the largest object needs on a fresh connection (initial window 10 x 1448 B, doubling: 14, 29, 58, 116, 232 KB). */
const SLOW_START_ROUNDS = 5;

/**
 * What physics allows for the synthetic page on one idle path of `rateBitsPerSec` and
 * round trip `rttMs` (direct-tcp: link A alone), from its first connect() to its last byte.
 * - At least: every byte serialised at the payload rate, and never less than 3 round
 *   trips (handshake, document, one object).
 * - At most, for a correct TCP: 2 round trips to the document's first byte (handshake,
 *   request) + 1 more of its slow start; 2 for the 5 new connections (handshake, request);
 *   ceil(40 / 6) = 7 request round trips on the busiest connection, one per object;
 *   SLOW_START_ROUNDS for the largest object; that is 17 round trips, plus every byte
 *   serialised, counted as if the link idled during each round trip (it does not: queueing
 *   on the link is time spent serialising the page's own bytes, already counted).
 * On test-clean's link A (20 Mbit/s, 20 ms): 424 ms to 764 ms.
 */
export function pageLoadBoundsMs(rateBitsPerSec: number, rttMs: number, page: PageSpec = SYNTHETIC_PAGE): { minMs: number; maxMs: number } {
  const serialiseMs = (pageBytes(page) * 8 * 1000) / (rateBitsPerSec * PAYLOAD_SHARE);
  const sequentialRequests = Math.ceil(page.objectBytes.length / page.connections);
  const roundTrips = 3 + 2 + sequentialRequests + SLOW_START_ROUNDS;
  return { minMs: Math.max(3 * rttMs, serialiseMs), maxMs: roundTrips * rttMs + serialiseMs };
}
