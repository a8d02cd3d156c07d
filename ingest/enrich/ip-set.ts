import { BlockList, isIPv6 } from 'node:net';

/**
 * The value of a dotted-quad IPv4 address as an unsigned 32-bit number, or -1 when `text` is not
 * one (four decimal parts of 0–255, no leading zeros beyond a lone 0, nothing else). Written by
 * hand because it runs for every address of every event and `net.isIPv4` + `BlockList.check`
 * cost a C++ round trip and an object each; the grammar is the same as `net.isIPv4`'s.
 */
export function ipv4Value(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let index = 0; index < length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots += 1;
    } else if (code >= 48 && code <= 57) {
      if (digits > 0 && part === 0) return -1; // a leading zero
      part = part * 10 + (code - 48);
      digits += 1;
      if (part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

const MAPPED_PREFIX = '::ffff:';

/**
 * The address a lookup should use: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes its IPv4 form;
 * undefined when the text is not an IP address (a zone id `%eth0` is dropped first).
 */
export function canonicalIp(text: string): { ip: string; family: 'ipv4' | 'ipv6' } | undefined {
  const percent = text.indexOf('%');
  const ip = percent >= 0 ? text.slice(0, percent) : text;
  if (ipv4Value(ip) >= 0) return { ip, family: 'ipv4' };
  if (!isIPv6(ip)) return undefined;
  if (ip.length > MAPPED_PREFIX.length && ip.slice(0, MAPPED_PREFIX.length).toLowerCase() === MAPPED_PREFIX) {
    const tail = ip.slice(MAPPED_PREFIX.length);
    if (ipv4Value(tail) >= 0) return { ip: tail, family: 'ipv4' };
  }
  return { ip, family: 'ipv6' };
}

/**
 * A set of IPv4 and IPv6 addresses and networks. IPv4 membership is one hash lookup per distinct
 * prefix length in the set (networks are stored masked, grouped by prefix length), so a list of
 * thousands of entries costs what a list of ten does; IPv6 goes to `net.BlockList`.
 */
export class IpSet {
  /** Prefix length → masked network values, longest prefix first. */
  private readonly v4 = new Map<number, Set<number>>();
  private readonly v6 = new BlockList();
  private v6Count = 0;

  get empty(): boolean {
    return this.v4.size === 0 && this.v6Count === 0;
  }

  /** Adds a network; `ip` must be a canonical address of `family`, `prefix` within its range. */
  addSubnet(ip: string, prefix: number, family: 'ipv4' | 'ipv6'): void {
    if (family === 'ipv6') {
      this.v6.addSubnet(ip, prefix, 'ipv6');
      this.v6Count += 1;
      return;
    }
    const value = ipv4Value(ip);
    if (value < 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new RangeError(`not an IPv4 network: ${ip}/${prefix}`);
    let networks = this.v4.get(prefix);
    if (!networks) {
      networks = new Set();
      this.v4.set(prefix, networks);
    }
    networks.add(masked(value, prefix));
  }

  addAddress(ip: string, family: 'ipv4' | 'ipv6'): void {
    this.addSubnet(ip, family === 'ipv4' ? 32 : 128, family);
  }

  /** True when the address (any text; a non-address is simply not in the set) is in the set. */
  has(text: string): boolean {
    const value = ipv4Value(text);
    if (value >= 0) return this.hasV4(value);
    if (this.v4.size === 0 && this.v6Count === 0) return false;
    const address = canonicalIp(text);
    if (!address) return false;
    return address.family === 'ipv4' ? this.hasV4(ipv4Value(address.ip)) : this.v6Count > 0 && this.v6.check(address.ip, 'ipv6');
  }

  private hasV4(value: number): boolean {
    for (const [prefix, networks] of this.v4) if (networks.has(masked(value, prefix))) return true;
    return false;
  }
}

/** `value` with all but its first `prefix` bits cleared, as an unsigned number. */
function masked(value: number, prefix: number): number {
  if (prefix === 0) return 0;
  return (value & (0xffffffff << (32 - prefix))) >>> 0;
}
