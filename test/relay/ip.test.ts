import test from 'ava';
import { ipv6Bytes, ipv6Text, ipv4Bytes, ipv4Text } from '../../relay/ip.ts';

test('IPv6 text and bytes convert both ways, with :: and an embedded IPv4 address', (t) => {
  t.is(ipv6Bytes('::1').toString('hex'), '00000000000000000000000000000001');
  t.is(ipv6Bytes('2001:db8::8:800:200c:417a').toString('hex'), '20010db8000000000008080020 0c417a'.replace(' ', ''));
  t.is(ipv6Bytes('::ffff:192.0.2.1').toString('hex'), '00000000000000000000ffffc0000201');
  t.is(ipv6Bytes('fe80::1%eth0').toString('hex'), 'fe800000000000000000000000000001');
  t.is(ipv6Text(ipv6Bytes('2001:0db8:0000:0000:0000:0000:0000:0001')), '2001:db8::1');
});

test('IPv4 text and bytes convert both ways; bad text is refused', (t) => {
  t.is(ipv4Text(ipv4Bytes('203.0.113.7')), '203.0.113.7');
  t.throws(() => ipv4Bytes('203.0.113'), { instanceOf: TypeError, message: 'not an IPv4 address: 203.0.113' });
  t.throws(() => ipv6Bytes('1::2::3'), { instanceOf: TypeError, message: 'not an IPv6 address: 1::2::3' });
});
