import { SPECIAL_IPV4, SPECIAL_IPV6 } from '../../../core/net/special-ranges.js';
import { IpSet } from '../ip-set.js';

export { canonicalIp } from '../ip-set.js';

// The IANA special-purpose ranges (core/net/special-ranges.ts), in the enricher's own IpSet.
const SPECIAL = new IpSet();
for (const [network, prefix] of SPECIAL_IPV4) SPECIAL.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of SPECIAL_IPV6) SPECIAL.addSubnet(network, prefix, 'ipv6');

/** True for an address in a private, loopback, link-local, CGNAT, documentation, multicast or reserved range. */
export function isSpecialIp(ip: string): boolean {
  return SPECIAL.has(ip);
}
