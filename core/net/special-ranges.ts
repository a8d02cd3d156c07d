/**
 * Address ranges no public registry answer (country, AS) applies to — the IANA special-purpose
 * registries (RFC 6890 and its IPv6 table): private, loopback, link-local, CGNAT, documentation,
 * benchmarking, multicast and reserved. One table for the GeoIP enricher, the API's alert
 * statistics and the weekly report, which may not import each other.
 */
import { BlockList, isIP } from 'node:net';

export const SPECIAL_IPV4: readonly (readonly [string, number])[] = [
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

export const SPECIAL_IPV6: readonly (readonly [string, number])[] = [
  ['::', 127],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

const SPECIAL = new BlockList();
for (const [network, prefix] of SPECIAL_IPV4) SPECIAL.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of SPECIAL_IPV6) SPECIAL.addSubnet(network, prefix, 'ipv6');

/** True for an address in a special-purpose range; false for a public address and for text that is not an address. */
export function isSpecialAddress(ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && SPECIAL.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}
