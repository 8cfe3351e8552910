// The remote's whole header state machine (relay/handshake.ts), in process: 1,000,000
// random and mutated inputs, each cut at random points, then ended, timed out or left,
// with the connect decision (what makes the remote connect out) spied. None may throw,
// none may connect. Seeded, so a failure can be replayed.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { Handshake, type Decision } from '../../relay/handshake.ts';
import { CHALLENGE_BYTES, encodeHeader, HELLO_ANSWER_BYTES, NONCE_BYTES, type Header } from '../../relay/protocol.ts';
import { ReplayGuard } from '../../relay/replay.ts';

const INPUTS = 1_000_000;
const SEED = Number(process.env.MPRELAY_FUZZ_SEED ?? 0x9e3779b9);
const secret = randomBytes(32);
const keys = (id: number) => (id === 1 ? secret : undefined);

/** xorshift32: fast and reproducible from SEED. */
function generator(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const below = (n: number) => next() % n;
  const bytes = (n: number) => {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = next() & 0xff;
    return out;
  };
  return { below, bytes };
}

const connectOf = (nonce: Buffer): Header => ({ type: 'connect', keyId: 1, timestampMs: Date.now(), nonce, destination: { address: '203.0.113.7', port: 443, family: 4 } });

test('fuzz: 1,000,000 random and mutated inputs at random split points: no crash, no connect, under 60 s', (t) => {
  const rng = generator(SEED);
  const replay = new ReplayGuard(30_000);
  const spent = encodeHeader(connectOf(randomBytes(NONCE_BYTES)), secret);
  // Spend it once: every later copy is a replay.
  new Handshake(keys, replay).data(spent);
  const mutate = (wire: Buffer) => {
    const out = Buffer.from(wire);
    for (let n = 1 + rng.below(3); n > 0; n--) {
      const at = rng.below(out.length);
      out[at] = (out[at] ?? 0) ^ (1 + rng.below(255));
    }
    return out;
  };
  const freshHello = () => encodeHeader({ type: 'hello', keyId: 1, timestampMs: Date.now(), nonce: randomBytes(NONCE_BYTES) }, secret);
  // Each input is what a peer sends, message by message (a local waits for the hello's
  // answer before its connect header); every message is then cut at random points.
  const shapes: Array<() => Buffer[]> = [
    () => [rng.bytes(rng.below(150))],
    () => [mutate(spent)],
    () => [spent.subarray(0, rng.below(spent.length))],
    () => [Buffer.concat([spent.subarray(0, 20), rng.bytes(1 + rng.below(40)), spent.subarray(20)])],
    () => [spent], // replayed
    () => [Buffer.concat([Buffer.from([1]), spent.subarray(1)])], // an older version's header
    () => [freshHello(), mutate(spent)], // pooled, then a forged connect
    () => [freshHello(), encodeHeader(connectOf(randomBytes(NONCE_BYTES)), secret, rng.bytes(CHALLENGE_BYTES))], // guessed challenge
    () => [freshHello(), freshHello()],
    () => [freshHello(), encodeHeader(connectOf(randomBytes(NONCE_BYTES)), secret)], // unbound after a hello
    () => [Buffer.concat([freshHello(), rng.bytes(1 + rng.below(60))])], // bytes before the hello's answer
    () => [freshHello(), rng.bytes(rng.below(100))],
  ];
  const decisions: Record<Decision['do'] | 'need-more', number> = { pool: 0, connect: 0, refuse: 0, drop: 0, close: 0, 'need-more': 0 };
  let crashes = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < INPUTS; i++) {
    const messages = shapes[rng.below(shapes.length)]?.() ?? [];
    const handshake = new Handshake(keys, replay);
    try {
      let final: Decision | undefined;
      for (const message of messages) {
        for (let at = 0; at < message.length; ) {
          const piece = 1 + rng.below(message.length - at);
          const decision = handshake.data(message.subarray(at, at + piece));
          at += piece;
          if (decision) {
            decisions[decision.do]++;
            final = decision;
          }
        }
      }
      const ending = rng.below(3);
      const last = ending === 0 ? handshake.end() : ending === 1 ? handshake.timeout() : undefined;
      if (last) decisions[last.do]++;
      if (!final && !last) decisions['need-more']++;
    } catch {
      crashes++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  t.log(`${INPUTS.toLocaleString('en')} inputs in ${seconds.toFixed(1)} s (seed ${SEED}): ${crashes} crashes, ${decisions.connect} connects; ${JSON.stringify(decisions)}`);
  t.is(crashes, 0);
  t.is(decisions.connect, 0, 'no input made the remote connect out');
  t.true(decisions.pool > 0 && decisions.refuse > 0 && decisions.drop > 0 && decisions.close > 0, 'every state was reached');
  t.true(seconds < 60, `${seconds.toFixed(1)} s`);
});

test('the state machine: hello -> pooled (answer with challenge) -> bound connect -> connect; anything else is final', (t) => {
  const replay = new ReplayGuard(30_000);
  const challenge = randomBytes(CHALLENGE_BYTES);
  const handshake = new Handshake(keys, replay, () => challenge);
  const pooled = handshake.data(encodeHeader({ type: 'hello', keyId: 1, timestampMs: Date.now(), nonce: randomBytes(NONCE_BYTES) }, secret));
  t.like(pooled, { do: 'pool' });
  t.is(pooled?.do === 'pool' && pooled.answer.length, HELLO_ANSWER_BYTES);
  t.is(handshake.state, 'pooled');
  const decision = handshake.data(Buffer.concat([encodeHeader(connectOf(randomBytes(NONCE_BYTES)), secret, challenge), Buffer.from('early')]));
  t.like(decision, { do: 'connect', early: Buffer.from('early') });
  t.is(handshake.state, 'done');
  t.is(handshake.data(Buffer.from('more')), undefined, 'after a decision, bytes are the pipe\'s');
  t.like(new Handshake(keys, replay).timeout(), { do: 'drop', kind: 'timeout' });
  t.like(new Handshake(keys, replay).end(), { do: 'close', pooled: false });
});
