// `mprelay rules`: QUIC refused unless allowed; the WAN policy routes new connections need.
import test from 'ava';
import { nftRules, parseWan, wanRouting, wanRoutingComment } from '../../relay/rules.ts';

const base = { lanInterface: 'lan0', remoteAddress: '198.51.100.1', port: 12345 };

test('QUIC from the LAN is rejected with ICMP port-unreachable by default; --allow-quic keeps it', (t) => {
  t.regex(nftRules(base), /chain forward \{\n {4}type filter hook forward priority filter; policy accept;\n.*\n {4}iifname "lan0" udp dport 443 counter reject with icmpx type port-unreachable\n {2}\}/);
  t.notRegex(nftRules({ ...base, allowQuic: true }), /udp dport 443|chain forward/);
  t.regex(nftRules({ ...base, interception: 'tproxy' }), /udp dport 443 counter reject/, 'with TPROXY too');
});

test('each WAN link: a default route in its own table and a rule by its source address', (t) => {
  const links = [parseWan('eth1,100.64.1.2,100.64.1.1'), parseWan('wwan0,2001:db8::2,2001:db8::1')];
  t.deepEqual(wanRouting(links), [
    ['-4', 'route', 'add', 'default', 'via', '100.64.1.1', 'dev', 'eth1', 'table', '110'],
    ['-4', 'rule', 'add', 'from', '100.64.1.2', 'lookup', '110', 'priority', '110'],
    ['-6', 'route', 'add', 'default', 'via', '2001:db8::1', 'dev', 'wwan0', 'table', '111'],
    ['-6', 'rule', 'add', 'from', '2001:db8::2', 'lookup', '111', 'priority', '111'],
  ]);
  t.is(wanRoutingComment(links)[1], '#   ip -4 route add default via 100.64.1.1 dev eth1 table 110');
  t.deepEqual(wanRoutingComment([]), []);
  t.throws(() => parseWan('eth1,100.64.1.2'), { message: '--wan wants IF,ADDRESS,GATEWAY (e.g. eth1,100.64.2.2,100.64.2.1), not eth1,100.64.1.2' });
  t.throws(() => wanRouting([{ device: 'eth1', address: 'isp', gateway: '100.64.1.1' }]), { message: 'not an IP address: isp' });
  t.throws(() => wanRouting([{ device: 'eth1;reboot', address: '100.64.1.2', gateway: '100.64.1.1' }]), { message: 'not an interface name: eth1;reboot' });
});

test('--dns: the LAN DNS, UDP and TCP port 53 to any address, goes to the forwarder, in a NAT chain before the TCP interception', (t) => {
  const rules = nftRules({ ...base, dnsPort: 53 });
  t.regex(rules, /chain dns \{\n {4}type nat hook prerouting priority -110; policy accept;\n.*\n {4}iifname "lan0" udp dport 53 counter redirect to :53\n {4}iifname "lan0" tcp dport 53 counter redirect to :53\n {2}\}/);
  t.true(rules.indexOf('chain dns') < rules.indexOf('ip daddr @bypass_v4 return'), 'before the bypass: a LAN resolver too');
  t.regex(nftRules({ ...base, interception: 'tproxy', dnsPort: 5300 }), /udp dport 53 counter redirect to :5300/, 'with TPROXY too (its own NAT chain)');
  t.notRegex(nftRules(base), /dport 53/);
  t.throws(() => nftRules({ ...base, dnsPort: 0 }), { message: 'not a port: 0' });
});
