// The synthetic page: the same fixed mix in every run, as the issue describes it.
import test from 'ava';
import { PAGE_BYTES, SYNTHETIC_PAGE } from '../../lab/workloads/page.ts';

test('the synthetic page: a 30 KB document, 40 objects of mostly 2-50 KB and a few of 100-300 KB, about 1 MB, 6 connections', (t) => {
  const { documentBytes, objectBytes, connections } = SYNTHETIC_PAGE;
  t.is(documentBytes, 30 * 1024);
  t.is(objectBytes.length, 40);
  t.is(connections, 6);
  const small = objectBytes.filter((b) => b >= 2048 && b <= 50 * 1024);
  const large = objectBytes.filter((b) => b >= 100 * 1024 && b <= 300 * 1024);
  t.is(small.length, 37);
  t.is(large.length, 3);
  t.true(PAGE_BYTES > 0.95e6 && PAGE_BYTES < 1.1e6, String(PAGE_BYTES));
  // Large objects are not all at the end: the order is shuffled, and fixed.
  t.true(objectBytes.slice(0, 37).some((b) => b >= 100 * 1024));
});
