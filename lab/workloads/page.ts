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

/** Every byte of the page, document included. */
export const PAGE_BYTES = SYNTHETIC_PAGE.documentBytes + SYNTHETIC_PAGE.objectBytes.reduce((sum, b) => sum + b, 0);
