// A link's verdict from probe answers and silence, on a clock the test drives.
import test from 'ava';
import { LinkHealth } from '../../relay/link-health.ts';

const options = { intervalMs: 100, downAfterMs: 350, upAfter: 3 };

test('unknown until three answers in a row make it up; down after 350 ms of silence; up again after three answers', (t) => {
  const health = new LinkHealth(options, 0);
  t.is(health.verdict, 'unknown');
  t.is(health.answered(20, 20), undefined);
  t.is(health.answered(120, 20), undefined);
  t.is(health.answered(220, 20), 'up');
  t.is(health.tick(500), undefined, '280 ms of silence is not down');
  t.is(health.tick(570), 'down', '350 ms of silence is');
  t.is(health.tick(670), undefined, 'down is said once');
  t.is(health.answered(700, 20), undefined);
  t.is(health.answered(800, 20), undefined);
  t.is(health.answered(900, 20), 'up');
});

test('a link that never answers is down after 350 ms from the start', (t) => {
  const health = new LinkHealth(options, 1000);
  t.is(health.tick(1300), undefined);
  t.is(health.tick(1350), 'down');
});

test('a slow or jittery link (round trip grown under load) gets longer before down: smoothed RTT + 4 deviations + one interval', (t) => {
  const health = new LinkHealth(options, 0);
  for (let i = 0; i < 20; i++) health.answered(i * 100, 300);
  t.is(Math.round(health.srttMs ?? 0), 300);
  t.true(health.silenceLimitMs > 400 && health.silenceLimitMs < 410, `${health.silenceLimitMs}`);
  t.is(health.tick(1900 + 390), undefined);
  t.is(health.tick(1900 + 410), 'down');
  const jittery = new LinkHealth(options, 0);
  for (let i = 0; i < 20; i++) jittery.answered(i * 100, i % 2 === 0 ? 40 : 140);
  t.true(jittery.silenceLimitMs > 350, `a round trip swinging 40-140 ms: ${jittery.silenceLimitMs} ms`);
  const idle = new LinkHealth(options, 0);
  for (let i = 0; i < 20; i++) idle.answered(i * 100, 40);
  t.is(idle.silenceLimitMs, 350, 'an idle link: the configured downAfterMs');
});

test('silence resets the run of answers: up needs three answers after the last silence', (t) => {
  const health = new LinkHealth(options, 0);
  health.answered(10, 10);
  health.answered(110, 10);
  t.is(health.tick(500), 'down');
  t.is(health.answered(510, 10), undefined);
  t.is(health.answered(610, 10), undefined);
  t.is(health.answered(710, 10), 'up');
});
