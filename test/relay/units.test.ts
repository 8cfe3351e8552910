// The small pure parts: replay window, log throttle, destination policy, rules, doctor verdicts.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { judge, type Readings } from '../../relay/doctor.ts';
import { LogThrottle } from '../../relay/log.ts';
import { DestinationPolicy, type RefusalReason } from '../../relay/policy.ts';
import { ReplayGuard } from '../../relay/replay.ts';
import { nftRules, tproxyRouting } from '../../relay/rules.ts';

test('replay guard: inside the window once, never twice, remembered across a rotation', (t) => {
  let nowMs = 1_000_000;
  const guard = new ReplayGuard(30_000, () => nowMs);
  const nonce = randomBytes(12);
  t.is(guard.check(nowMs, nonce), 'ok');
  t.is(guard.check(nowMs, nonce), 'replay');
  t.is(guard.check(nowMs - 30_001, randomBytes(12)), 'stale');
  t.is(guard.check(nowMs + 30_001, randomBytes(12)), 'stale');
  nowMs += 60_000; // rotation: the nonce moves to the previous generation
  t.is(guard.check(nowMs - 29_000, randomBytes(12)), 'ok');
  t.is(guard.check(nowMs - 60_000, nonce), 'stale');
  nowMs += 1; // a header timestamped just inside the window cannot reuse a remembered nonce
  const recent = randomBytes(12);
  t.is(guard.check(nowMs, recent), 'ok');
  nowMs += 59_999;
  t.is(guard.check(nowMs - 29_999, recent), 'replay');
});

test('log throttle: one line per key per period, counting the suppressed ones', (t) => {
  let nowMs = 0;
  const throttle = new LogThrottle(60_000, () => nowMs);
  t.is(throttle.admit('a'), 0);
  t.is(throttle.admit('a'), undefined);
  t.is(throttle.admit('a'), undefined);
  t.is(throttle.admit('b'), 0);
  nowMs = 60_000;
  t.is(throttle.admit('a'), 2);
});

test('policy: special-purpose ranges refused, public allowed, allow list wins, IPv4-mapped seen through', (t) => {
  const policy = new DestinationPolicy({ allow: ['10.9.0.0/16'], deny: [], ownAddresses: [] }, () => ['203.0.113.1', '2001:db8::1']);
  const cases: Record<string, RefusalReason | undefined> = {
    '8.8.8.8': undefined,
    '2606:4700::1111': undefined,
    '127.0.0.1': 'loopback',
    '::1': 'loopback',
    '::ffff:127.0.0.1': 'loopback',
    '10.1.1.1': 'private',
    '10.9.1.1': undefined,
    '172.31.0.1': 'private',
    '192.168.1.1': 'private',
    '100.64.0.1': 'private',
    'fd00::1': 'private',
    '169.254.169.254': 'link-local',
    'fe80::1': 'link-local',
    '224.0.0.251': 'multicast',
    'ff02::1': 'multicast',
    '255.255.255.255': 'reserved',
    '0.0.0.0': 'unspecified',
    '::': 'unspecified',
    '203.0.113.1': 'own-address',
    '2001:db8:0:0::1': 'own-address',
    '::ffff:203.0.113.1': 'own-address',
  };
  for (const [address, expected] of Object.entries(cases)) t.is(policy.check(address), expected, address);
});

test('policy: IPv6 addresses that embed IPv4 (NAT64, 6to4, Teredo, IPv4-compatible) are judged by the embedded address', (t) => {
  const policy = new DestinationPolicy({ allow: [], deny: [], ownAddresses: [] }, () => ['203.0.113.1']);
  const cases: Record<string, RefusalReason | undefined> = {
    '64:ff9b::8.8.8.8': undefined,
    '64:ff9b::127.0.0.1': 'loopback',
    '64:ff9b::a9fe:a9fe': 'link-local',
    '64:ff9b::203.0.113.1': 'own-address',
    '64:ff9b:1::10.0.0.1': 'private',
    '64:ff9b:1:c0a8:1:100:808:808': 'private', // 192.168.1.1 embedded at /48 (RFC 6052), 8.8.8.8 at /96
    '2002:7f00:1::1': 'loopback', // 6to4 of 127.0.0.1
    '2002:0808:0808::1': undefined,
    '2001:0:0a00:0001::1': 'private', // Teredo server 10.0.0.1
    '2001:0:0808:0808:0:0:80ff:fffe': 'loopback', // Teredo client 127.0.0.1, stored inverted
    '::10.1.2.3': 'private', // IPv4-compatible
    '::ffff:169.254.1.1': 'link-local',
  };
  for (const [address, expected] of Object.entries(cases)) t.is(policy.check(address), expected, address);
});

test('policy: a deny list wins over the allow list; configured own addresses (1:1 NAT) are refused', (t) => {
  const policy = new DestinationPolicy({ allow: ['10.0.0.0/8'], deny: ['10.9.0.0/16', '198.51.100.0/24', '2001:db8:bad::/48'], ownAddresses: ['192.0.2.44'] }, () => []);
  t.is(policy.check('10.1.1.1'), undefined);
  t.is(policy.check('10.9.1.1'), 'denied');
  t.is(policy.check('198.51.100.20'), 'denied');
  t.is(policy.check('64:ff9b::198.51.100.20'), 'denied');
  t.is(policy.check('2001:db8:bad::1'), 'denied');
  t.is(policy.check('192.0.2.44'), 'own-address');
  t.is(policy.check('::ffff:192.0.2.44'), 'own-address');
});

test('log throttle: many sources within the period cannot grow it past its bound', (t) => {
  const throttle = new LogThrottle(60_000, () => 0, 1_000);
  for (let i = 0; i < 100_000; i++) throttle.admit(`source-${i}`);
  t.true(throttle.size <= 1_000, `${throttle.size} keys remembered`);
  t.is(throttle.admit('source-99999'), undefined, 'the newest are still throttled');
});

test('replay guard: a full nonce cache refuses new headers rather than forgetting nonces', (t) => {
  const nowMs = 1_000_000;
  const guard = new ReplayGuard(30_000, () => nowMs, 1_000);
  const first = randomBytes(12);
  t.is(guard.check(nowMs, first), 'ok');
  for (let i = 1; i < 1_000; i++) guard.check(nowMs, randomBytes(12));
  t.is(guard.size, 1_000);
  t.is(guard.check(nowMs, randomBytes(12)), 'full');
  t.is(guard.check(nowMs, first), 'replay', 'nothing was forgotten');
  t.is(guard.size, 1_000);
});

test('rules: the bypass sets hold the remote, the redirect names the LAN interface and port', (t) => {
  const text = nftRules({ lanInterface: 'lan0', remoteAddress: '198.51.100.1', port: 12345 });
  t.regex(text, /elements = \{ 0\.0\.0\.0\/8, .*, 240\.0\.0\.0\/4, 198\.51\.100\.1 \}/);
  t.regex(text, /iifname "lan0" meta l4proto tcp counter redirect to :12345/);
  const v6 = nftRules({ lanInterface: 'br-lan', remoteAddress: '2001:db8::5', port: 1, table: 'home' });
  t.regex(v6, /elements = \{ ::1\/128, fc00::\/7, fe80::\/10, ff00::\/8, 2001:db8::5 \}/);
  t.regex(v6, /^table inet home \{$/m);
  t.throws(() => nftRules({ lanInterface: 'lan0"; flush ruleset', remoteAddress: '198.51.100.1', port: 1 }), { message: 'not an interface name: lan0"; flush ruleset' });
  t.throws(() => nftRules({ lanInterface: 'lan0', remoteAddress: 'relay.example', port: 1 }), { message: 'not an IP address: relay.example' });
});

test('rules: TPROXY marks and diverts in the mangle hook, and names its policy routing', (t) => {
  const text = nftRules({ lanInterface: 'lan0', remoteAddress: '198.51.100.1', port: 12345, interception: 'tproxy' });
  t.regex(text, /type filter hook prerouting priority mangle;/);
  t.regex(text, /iifname "lan0" meta l4proto tcp meta mark set 1 tproxy ip to :12345 counter accept/);
  t.regex(text, /iifname "lan0" meta l4proto tcp meta mark set 1 tproxy ip6 to :12345 counter accept/);
  t.notRegex(text, /redirect/);
  t.regex(text, /^# {3}ip -4 rule add fwmark 1 lookup 100$/m);
  t.deepEqual(tproxyRouting(['-4']), [
    ['-4', 'rule', 'add', 'fwmark', '1', 'lookup', '100'],
    ['-4', 'route', 'add', 'local', '0.0.0.0/0', 'dev', 'lo', 'table', '100'],
  ]);
});

const good: Readings = {
  mptcpEnabled: 1,
  limits: { subflows: 2, addAddrAccepted: 0 },
  endpoints: [{ address: '100.64.2.2', dev: 'linkb', flags: ['subflow'] }],
  openFilesSoft: 1_048_576,
  portRange: [10000, 65535],
  conntrackMax: 262144,
  tcpFastOpen: 3,
};

test('doctor: a tuned gateway passes every check', (t) => {
  t.true(judge(good, { role: 'local', wanInterfaces: ['linkb'], fastOpen: true }).every((c) => c.ok));
  t.true(judge(good, { role: 'remote', wanInterfaces: [], fastOpen: true }).every((c) => c.ok));
});

test('doctor: each thing the seed tunes is caught with its fix', (t) => {
  const bad: Readings = { mptcpEnabled: 0, limits: { subflows: 0, addAddrAccepted: 0 }, endpoints: [], openFilesSoft: 1024, portRange: [32768, 60999], conntrackMax: 4096, tcpFastOpen: 1 };
  const failed = judge(bad, { role: 'local', wanInterfaces: ['linkb'], fastOpen: true }).filter((c) => !c.ok);
  t.deepEqual(
    failed.map((c) => [c.name, c.fix]),
    [
      ['mptcp enabled', 'sysctl -w net.mptcp.enabled=1 (and in /etc/sysctl.d/)'],
      ['mptcp limits', 'ip mptcp limits set subflows 2 add_addr_accepted 2'],
      ['mptcp endpoints', 'ip mptcp endpoint add <address on linkb> dev linkb subflow'],
      ['open files', 'LimitNOFILE=1048576 in the systemd unit, or `* soft nofile 999999` in /etc/security/limits.conf'],
      ['local port range', 'sysctl -w net.ipv4.ip_local_port_range="10000 65535"'],
      ['conntrack table', 'sysctl -w net.netfilter.nf_conntrack_max=50000'],
    ],
  );
  const remote = judge({ ...good, tcpFastOpen: 1 }, { role: 'remote', wanInterfaces: [], fastOpen: true }).filter((c) => !c.ok);
  t.true(judge({ ...good, tcpFastOpen: 1 }, { role: 'remote', wanInterfaces: [], fastOpen: false }).every((c) => c.ok), 'TFO is not needed unless turned on');
  t.deepEqual(remote, [{ name: 'tcp fast open', ok: false, detail: 'net.ipv4.tcp_fastopen = 1 (remote needs bit 2: server)', fix: 'sysctl -w net.ipv4.tcp_fastopen=3' }]);
});
