import { isIPv4 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { IpSet, ipv4Value } from './ip-set.js';

describe('ipv4Value and IpSet', () => {
  it('reads exactly what net.isIPv4 accepts and matches networks by prefix', () => {
    for (const text of ['1.2.3.4', '0.0.0.0', '255.255.255.255', '01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', ' 1.2.3.4', '1.2.3.4 ', '::1', '', 'a.b.c.d', '1.2.3.04']) {
      expect(ipv4Value(text) >= 0).toBe(isIPv4(text));
    }
    expect(ipv4Value('10.0.0.1')).toBe(0x0a000001);
    const set = new IpSet();
    set.addSubnet('10.0.0.0', 8, 'ipv4');
    set.addSubnet('192.168.1.128', 25, 'ipv4');
    set.addAddress('203.0.113.7', 'ipv4');
    set.addSubnet('0.0.0.0', 0, 'ipv4');
    const narrow = new IpSet();
    narrow.addSubnet('192.168.1.128', 25, 'ipv4');
    narrow.addSubnet('2001:db8::', 32, 'ipv6');
    expect(narrow.has('192.168.1.200')).toBe(true);
    expect(narrow.has('192.168.1.100')).toBe(false);
    expect(narrow.has('::ffff:192.168.1.129')).toBe(true);
    expect(narrow.has('2001:db8::1')).toBe(true);
    expect(narrow.has('2001:db9::1')).toBe(false);
    expect(narrow.has('not an address')).toBe(false);
    expect(set.has('8.8.8.8')).toBe(true);
    expect(() => set.addSubnet('10.0.0.0', 33, 'ipv4')).toThrow(RangeError);
  });
});
