// The synthetic page: the same fixed mix in every run, as the issue describes it.
import test from 'ava';
import { pageBytes, pageLoadBoundsMs, SYNTHETIC_PAGE } from '../../lab/workloads/page.ts';

test('the synthetic page: a 30 KB document, 40 objects of mostly 2-50 KB and a few of 100-300 KB, about 1 MB, 6 connections', (t) => {
  const { documentBytes, objectBytes, connections } = SYNTHETIC_PAGE;
  t.is(documentBytes, 30 * 1024);
  t.is(objectBytes.length, 40);
  t.is(connections, 6);
  const small = objectBytes.filter((b) => b >= 2048 && b <= 50 * 1024);
  const large = objectBytes.filter((b) => b >= 100 * 1024 && b <= 300 * 1024);
  t.is(small.length, 37);
  t.is(large.length, 3);
  t.true(pageBytes(SYNTHETIC_PAGE) > 0.95e6 && pageBytes(SYNTHETIC_PAGE) < 1.1e6, String(pageBytes(SYNTHETIC_PAGE)));
  // Large objects are not all at the end: the order is shuffled, and fixed.
  t.true(objectBytes.slice(0, 37).some((b) => b >= 100 * 1024));
});

test('the physics bound of a page load on one idle path: 17 round trips plus every byte at the payload rate', (t) => {
  // test-clean's link A: 20 Mbit/s, 20 ms round trip; 1,023,231 bytes take 424 ms at 96.5 % of 20 Mbit/s.
  const { minMs, maxMs } = pageLoadBoundsMs(20e6, 20);
  t.true(Math.abs(minMs - 424.1) < 0.5, String(minMs));
  t.true(Math.abs(maxMs - (17 * 20 + minMs)) < 1e-9, String(maxMs));
  // On a slow link of long round trips, the 3-round-trip floor is what holds.
  t.is(pageLoadBoundsMs(10e9, 100).minMs, 300);
});
