/**
 * What this host is, as far as blocking is concerned: its own addresses, the routers it sends
 * through and the name servers it asks. Blocking any of them cuts the host (and Watchpost) off,
 * so they join the never-block list (reliability.md S6).
 *
 * The route and resolver files are parsed by hand: no library reads /proc/net/route or
 * /proc/net/ipv6_route, and resolv.conf's `nameserver` lines are one keyword and an address.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { parseAddress } from '../actions/address.js';

/** The addresses of this host that must never be blocked, canonical (see `parseAddress`). */
export interface HostFacts {
  readonly addresses: readonly string[];
  readonly gateways: readonly string[];
  readonly dnsServers: readonly string[];
}

/** Where {@link readHostFacts} looks; tests point it at sample files. */
export interface HostFactSources {
  /** @defaultValue "/proc/net/route" */
  readonly ipv4Routes?: string;
  /** @defaultValue "/proc/net/ipv6_route" */
  readonly ipv6Routes?: string;
  /** @defaultValue "/etc/resolv.conf" */
  readonly resolvConf?: string;
  /** @defaultValue os.networkInterfaces */
  readonly interfaces?: () => NodeJS.Dict<readonly { readonly address: string }[]>;
}

/**
 * The most read from one file. A router holding a full Internet table has a /proc/net/route of
 * tens of megabytes; the kernel lists the default route (destination 0) first, so the head of the
 * file holds what matters and the rest is not worth the memory.
 */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** RTF_GATEWAY of <linux/route.h>: the route goes through a next hop. */
const RTF_GATEWAY = 0x2;
/** RTF_UP: the route is usable. */
const RTF_UP = 0x1;

/**
 * Reads this host's facts now. Never throws: a missing or unreadable file (not Linux, a
 * container without /proc/net) gives an empty list for what it would have told.
 */
export function readHostFacts(sources: HostFactSources = {}): HostFacts {
  const interfaces = sources.interfaces ?? networkInterfaces;
  let addresses: string[] = [];
  try {
    addresses = canonicalList(
      Object.values(interfaces())
        .flatMap((list) => list ?? [])
        .map((info) => info.address),
    );
  } catch {
    addresses = [];
  }
  const gateways = canonicalList([
    ...parseIpv4Routes(readBounded(sources.ipv4Routes ?? '/proc/net/route') ?? ''),
    ...parseIpv6Routes(readBounded(sources.ipv6Routes ?? '/proc/net/ipv6_route') ?? ''),
  ]);
  const dnsServers = parseResolvConf(readBounded(sources.resolvConf ?? '/etc/resolv.conf') ?? '');
  return { addresses, gateways, dnsServers };
}

/**
 * The next hops of /proc/net/route: every usable route through a gateway, the default route and
 * static routes alike (a next hop of any route is a router this host depends on). The kernel
 * writes the gateway as the 32-bit value in host byte order, which on every little-endian machine
 * Linux runs on (x86, arm64) shows the address's bytes reversed: `0101A8C0` is 192.168.1.1.
 */
export function parseIpv4Routes(text: string): string[] {
  const gateways: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) continue;
    const gateway = fields[2] as string;
    const flags = Number.parseInt(fields[3] as string, 16);
    if (!/^[0-9A-Fa-f]{8}$/.test(gateway) || !Number.isFinite(flags)) continue;
    if ((flags & RTF_UP) === 0 || (flags & RTF_GATEWAY) === 0) continue;
    const value = Number.parseInt(gateway, 16);
    if (value === 0) continue;
    gateways.push([value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff].join('.'));
  }
  return canonicalList(gateways);
}

/**
 * The next hops of /proc/net/ipv6_route. Each line is: destination (32 hex digits, network
 * order), its prefix length, source, its prefix length, next hop, metric, reference count, use
 * count, flags, interface. A next hop of all zeros is a directly connected route.
 */
export function parseIpv6Routes(text: string): string[] {
  const gateways: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const nextHop = fields[4] as string;
    const flags = Number.parseInt(fields[8] as string, 16);
    if (!/^[0-9a-fA-F]{32}$/.test(nextHop) || !Number.isFinite(flags)) continue;
    if ((flags & RTF_UP) === 0 || (flags & RTF_GATEWAY) === 0 || /^0+$/.test(nextHop)) continue;
    gateways.push(Array.from({ length: 8 }, (_, i) => nextHop.slice(4 * i, 4 * i + 4)).join(':'));
  }
  return canonicalList(gateways);
}

/**
 * The `nameserver` addresses of resolv.conf(5), canonical. A zone index (`fe80::1%eth0`) is
 * dropped: the address alone is what a block would name. Lines that are not addresses (a
 * malformed file) are ignored.
 */
export function parseResolvConf(text: string): string[] {
  const servers: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    if (match) servers.push((match[1] as string).split('%')[0] as string);
  }
  return canonicalList(servers);
}

/** Parses each address, drops what does not parse and duplicates, keeps the first-seen order. */
function canonicalList(values: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const value of values) {
    try {
      seen.add(parseAddress(value.split('%')[0] as string).text);
    } catch {
      // Not an address: nothing to protect.
    }
  }
  return [...seen];
}

/** The first {@link MAX_FILE_BYTES} of a file, or undefined when it cannot be read. */
function readBounded(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    // /proc files report size 0, so read until end of file rather than trusting fstat.
    const buffer = Buffer.alloc(Math.min(MAX_FILE_BYTES, 64 * 1024));
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < MAX_FILE_BYTES) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, MAX_FILE_BYTES - total), null);
      if (read === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, read)));
      total += read;
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
