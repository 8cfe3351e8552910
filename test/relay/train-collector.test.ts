// Trains in collection: complete on their last datagram, or with what came once they waited
// the timeout from their first; bounded in number.
import test from 'ava';
import { TrainCollector } from '../../relay/train-collector.ts';

const datagram = (index: number, count = 4) => ({ index, count });

test('a train is complete when its last datagram arrives, even with one before it lost', (t) => {
  const collector = new TrainCollector<{ index: number; count: number }>(4);
  t.is(collector.add('x', datagram(0), 10), undefined);
  t.is(collector.add('x', datagram(2), 30), undefined);
  t.deepEqual(collector.add('x', datagram(3), 40), { first: datagram(0), arrivals: [{ atMs: 10, bytes: 1200 }, { atMs: 30, bytes: 1200 }, { atMs: 40, bytes: 1200 }] });
  t.deepEqual(collector.expire(5000), [], 'nothing left in collection');
});

test('a train whose last datagram is lost is given up with what came, once it waited the timeout from its first', (t) => {
  const collector = new TrainCollector<{ index: number; count: number }>(4);
  collector.add('x', datagram(0), 10);
  collector.add('x', datagram(1), 20);
  t.deepEqual(collector.expire(1009), [], 'not yet');
  t.deepEqual(collector.expire(1010), [{ first: datagram(0), arrivals: [{ atMs: 10, bytes: 1200 }, { atMs: 20, bytes: 1200 }] }]);
  t.deepEqual(collector.expire(3000), []);
});

test('past maxPending trains in collection, a new one is not collected; one that completes makes room', (t) => {
  const collector = new TrainCollector<{ index: number; count: number }>(2);
  collector.add('a', datagram(0), 0);
  collector.add('b', datagram(0), 0);
  t.is(collector.add('c', datagram(3), 0), undefined, 'even its last datagram: not collected');
  t.truthy(collector.add('a', datagram(3), 5));
  t.deepEqual(collector.add('c', datagram(3), 6), { first: datagram(3), arrivals: [{ atMs: 6, bytes: 1200 }] });
});
