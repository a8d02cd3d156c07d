import { isIPv4, isIPv6 } from 'node:net';
import { UserError } from '../../core/errors.js';

/** An address or prefix, parsed and written canonically. */
export interface ParsedAddress {
  readonly family: 4 | 6;
  /** The network address, canonical (IPv4 dotted quad; IPv6 in RFC 5952 form, lower case). */
  readonly address: string;
  /** 32 or 128 for a single address. */
  readonly prefix: number;
  /** `address` for a single address, `address/prefix` otherwise. */
  readonly text: string;
  /** The same as a CIDR always (`address/prefix`). */
  readonly cidr: string;
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function bigIntToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function ipv6ToBigInt(address: string): bigint {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:192.0.2.1) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4ToBigInt(v4[1] as string);
    text = `${text.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

/** RFC 5952: lower case, leading zeros dropped, the longest run (≥ 2) of zero groups as `::`. */
function bigIntToIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * Parses an IPv4/IPv6 address or CIDR prefix (host bits are cleared: `192.0.2.7/24` is
 * `192.0.2.0/24`). Throws a UserError (WATCHPOST_ERR_ACTION_INPUT) for anything else, so text
 * that reaches a firewall command or an API is always an address this function wrote.
 */
export function parseAddress(input: string): ParsedAddress {
  const text = input.trim();
  const slash = text.indexOf('/');
  const host = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const family = isIPv4(host) ? 4 : isIPv6(host) && !host.includes('%') ? 6 : undefined;
  if (family === undefined || (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))) {
    throw new UserError('WATCHPOST_ERR_ACTION_INPUT', `not an IP address or CIDR prefix: ${JSON.stringify(input.slice(0, 80))}`);
  }
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) throw new UserError('WATCHPOST_ERR_ACTION_INPUT', `prefix /${prefix} is longer than ${bits} bits: ${input.slice(0, 80)}`);
  const value = family === 4 ? ipv4ToBigInt(host) : ipv6ToBigInt(host);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  const network = value & mask;
  const address = family === 4 ? bigIntToIpv4(network) : bigIntToIpv6(network);
  const cidr = `${address}/${prefix}`;
  return { family, address, prefix, text: prefix === bits ? address : cidr, cidr };
}

/** Whether `inner` lies inside `outer` (both parsed). Different families never contain each other. */
export function contains(outer: ParsedAddress, inner: ParsedAddress): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const bits = outer.family === 4 ? 32 : 128;
  const toInt = outer.family === 4 ? ipv4ToBigInt : ipv6ToBigInt;
  const mask = outer.prefix === 0 ? 0n : ((1n << BigInt(outer.prefix)) - 1n) << BigInt(bits - outer.prefix);
  return (toInt(inner.address) & mask) === toInt(outer.address);
}

/** Whether two prefixes share any address. */
export function overlaps(a: ParsedAddress, b: ParsedAddress): boolean {
  return contains(a, b) || contains(b, a);
}
