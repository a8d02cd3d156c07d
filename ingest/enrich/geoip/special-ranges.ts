import { IpSet } from '../ip-set.js';

export { canonicalIp } from '../ip-set.js';

// Ranges no public GeoIP answer applies to (IANA special-purpose registries, RFC 6890 and
// RFC 6890's IPv6 table): private, loopback, link-local, CGNAT, documentation, benchmarking,
// multicast and reserved.
const IPV4: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const IPV6: readonly [string, number][] = [
  ['::', 127],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

const SPECIAL = new IpSet();
for (const [network, prefix] of IPV4) SPECIAL.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of IPV6) SPECIAL.addSubnet(network, prefix, 'ipv6');

/** True for an address in a private, loopback, link-local, CGNAT, documentation, multicast or reserved range. */
export function isSpecialIp(ip: string): boolean {
  return SPECIAL.has(ip);
}
