import test from 'ava';
import { ConfigError, localConfigSchema, parseConfig, remoteConfigSchema } from '../../relay/config.ts';
import { readFileSync } from 'node:fs';

const key = Buffer.alloc(32, 7).toString('base64');

test('a minimal remote config gets the documented defaults', (t) => {
  const config = parseConfig(remoteConfigSchema, `listen: { address: 0.0.0.0, port: 8443 }\nkeys: [{ id: 1, secret: "${key}" }]\n`, 'remote.yaml');
  t.like(config, {
    replayWindowMs: 30_000,
    unauthenticated: { maxConnections: 512, perSource: 64, headerTimeoutMs: 3_000 },
    maxConnections: 10_000,
    allowDestinations: [],
    denyDestinations: [],
    ownAddresses: [],
    fastOpenQueue: 0,
  });
  t.deepEqual(config.keys[0]?.secret, Buffer.alloc(32, 7));
});

test('duplicate key ids are refused', (t) => {
  const text = `listen: { address: 0.0.0.0, port: 8443 }\nkeys:\n  - { id: 1, secret: "${key}" }\n  - { id: 1, secret: "${key}" }\n`;
  const error = t.throws(() => parseConfig(remoteConfigSchema, text, 'remote.yaml'), { instanceOf: ConfigError });
  t.is(error.message, 'remote.yaml:3: keys: key ids must be unique');
});

test('errors name the file, the line and the field, and say what is allowed', (t) => {
  const text = ['listen:', '  address: 0.0.0.0', '  port: 8443', 'keys:', `  - { id: 1, secret: "${key}" }`, `  - { id: 1, secret: "short" }`, 'allowDestinations: [10.0.0.0]', 'connectTimeoutMs: -5', 'colour: blue', ''].join('\n');
  const error = t.throws(() => parseConfig(remoteConfigSchema, text, 'remote.yaml'), { instanceOf: ConfigError });
  t.is(
    error.message,
    [
      'remote.yaml:6: keys.1.secret: must be base64 of at least 16 random bytes (e.g. `openssl rand -base64 32`)',
      'remote.yaml:8: connectTimeoutMs: Too small: expected number to be >=1',
      'remote.yaml:7: allowDestinations.0: must be a CIDR like 10.0.0.0/8',
      'remote.yaml:1: (top level): Unrecognized key: "colour"',
    ].join('\n'),
  );
});

test('invalid YAML is reported with its line', (t) => {
  const error = t.throws(() => parseConfig(localConfigSchema, 'listen: [\n', 'local.yaml'), { instanceOf: ConfigError });
  t.is(error.problems.length, 1);
  t.like(error.problems[0], { field: '' });
  t.regex(error.message, /^local\.yaml:\d+: \(top level\): invalid YAML: /);
});

test('a local pool whose floor exceeds its cap is refused', (t) => {
  const text = `listen: { address: 0.0.0.0, port: 12345 }\nremote: { address: 198.51.100.1, port: 8443 }\nkey: { id: 1, secret: "${key}" }\npool: { min: 5, max: 2, idleTimeoutMs: 1000, rateWindowMs: 1000, horizonMs: 1000 }\n`;
  const error = t.throws(() => parseConfig(localConfigSchema, text, 'local.yaml'), { instanceOf: ConfigError });
  t.is(error.message, 'local.yaml:4: pool: pool.min must not exceed pool.max');
});

test('the example configs parse once a real key is filled in', (t) => {
  for (const [file, schema] of [['relay/examples/local.yaml', localConfigSchema], ['relay/examples/remote.yaml', remoteConfigSchema]] as const) {
    const text = readFileSync(file, 'utf8').replace('REPLACE-WITH-mprelay-keygen-OUTPUT', key);
    t.notThrows(() => parseConfig(schema, text, file));
  }
});

test('a local waits for the answer longer than a remote connects by default', (t) => {
  const local = parseConfig(localConfigSchema, `listen: { address: 0.0.0.0, port: 12345 }\nremote: { address: 198.51.100.1, port: 8443 }\nkey: { id: 1, secret: "${key}" }\n`, 'local.yaml');
  const remote = parseConfig(remoteConfigSchema, `listen: { address: 0.0.0.0, port: 8443 }\nkeys: [{ id: 1, secret: "${key}" }]\n`, 'remote.yaml');
  t.true(local.statusTimeoutMs > remote.connectTimeoutMs);
});

test('the DNS forwarder is off without its section; with it, defaults apply and bad values are named', (t) => {
  const base = `listen: { address: 192.168.1.1, port: 12345 }\nremote: { address: 198.51.100.1, port: 8443 }\nkey: { id: 1, secret: "${key}" }\n`;
  t.is(parseConfig(localConfigSchema, base, 'local.yaml').dns, undefined);
  const on = parseConfig(localConfigSchema, `${base}dns:\n  listen: { address: 192.168.1.1, port: 53 }\n  resolver: { address: 203.0.113.2, port: 53 }\n`, 'local.yaml');
  t.deepEqual(on.dns, { listen: { address: '192.168.1.1', port: 53 }, resolver: { address: '203.0.113.2', port: 53 }, timeoutMs: 2_500, retryAfterMs: 800, maxInFlight: 256 });
  const bad = `${base}dns:\n  listen: { address: 192.168.1.1, port: 53 }\n  resolver: { address: 203.0.113.2, port: 0 }\n  timeoutMs: 500\n  retryAfterMs: 600\n`;
  const error = t.throws(() => parseConfig(localConfigSchema, bad, 'local.yaml'), { instanceOf: ConfigError });
  t.is(error.message, ['local.yaml:6: dns.resolver: the resolver port must not be 0', 'local.yaml:5: dns: dns.retryAfterMs must be below dns.timeoutMs'].join('\n'));
});
