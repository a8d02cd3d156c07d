/**
 * The never-block list and the protected accounts (reliability.md S6): what automated response
 * refuses to touch whatever a playbook asks, checked when a step is queued and again when it runs.
 */
import type { ResponseConfig } from '../../core/config/schema.js';
import type { Problem } from '../../core/errors.js';
import { contains, overlaps, parseAddress, type ParsedAddress } from '../actions/address.js';
import type { HostFacts } from './host-facts.js';

/** One entry of the never-block list, with where it came from. */
export interface NeverBlockItem {
  /** An address or CIDR, canonical. */
  readonly value: string;
  readonly source: 'builtin' | 'host' | 'gateway' | 'dns' | 'config' | 'store';
  readonly note?: string;
  /** The store record's id, for source `store`. */
  readonly id?: string;
}

/** The answer of a target check: refused with a stable reason, or not. */
export type TargetCheck = { readonly refused: false } | { readonly refused: true; readonly reason: string; readonly entry?: NeverBlockItem };

/** The safety part of the response config. */
export type SafetyConfig = ResponseConfig['safety'];

/**
 * Addresses no automatic block may touch on any host: blocking them breaks the host itself
 * (loopback, the unspecified address, link-local neighbour discovery and DHCP), the cloud
 * instance metadata services (AWS, GCP, Azure and OpenStack at 169.254.169.254, AWS's IPv6
 * fd00:ec2::254), or every member of a group at once (multicast, limited broadcast).
 */
export const BUILTIN_NEVER_BLOCK: readonly NeverBlockItem[] = Object.freeze(
  (
    [
      ['127.0.0.0/8', 'IPv4 loopback'],
      ['::1/128', 'IPv6 loopback'],
      ['0.0.0.0/8', '"this network" (RFC 1122)'],
      ['::/128', 'IPv6 unspecified address'],
      ['169.254.0.0/16', 'IPv4 link-local, including cloud metadata 169.254.169.254'],
      ['fe80::/10', 'IPv6 link-local'],
      ['fd00:ec2::254/128', 'AWS instance metadata over IPv6'],
      ['224.0.0.0/4', 'IPv4 multicast'],
      ['ff00::/8', 'IPv6 multicast'],
      ['255.255.255.255/32', 'IPv4 limited broadcast'],
    ] as const
  ).map(([value, note]): NeverBlockItem => Object.freeze({ value: parseAddress(value).text, source: 'builtin', note })),
);

/** IPv4-mapped IPv6 addresses (RFC 4291 2.5.5.2): `::ffff:127.0.0.1` is 127.0.0.1 to a dual-stack socket. */
const IPV4_MAPPED = parseAddress('::ffff:0:0/96');

/** A list entry with its parsed form, as the checks use it. */
export interface ParsedItem {
  readonly item: NeverBlockItem;
  readonly parsed: ParsedAddress;
}

/**
 * The entries that do not change while the process runs: the built-in ones, this host's
 * (as the config asks) and the config's own. A config entry that does not parse is left out here;
 * {@link checkSafetyConfig} reports it so that `watchpost validate` fails on it.
 */
export function staticNeverBlock(config: SafetyConfig, host: HostFacts): ParsedItem[] {
  const items: NeverBlockItem[] = [...BUILTIN_NEVER_BLOCK];
  const add = (values: readonly string[], source: NeverBlockItem['source'], note: string): void => {
    for (const value of values) items.push({ value, source, note });
  };
  if (config.protectHostAddresses) add(host.addresses, 'host', "this host's interface address");
  if (config.protectGateways) add(host.gateways, 'gateway', "a gateway of this host's routes");
  if (config.protectDnsServers) add(host.dnsServers, 'dns', 'a name server of /etc/resolv.conf');
  add(config.neverBlock, 'config', 'response.safety.neverBlock');
  return parseItems(items);
}

/** Parses entries, dropping those that are not addresses (their source reports them). */
export function parseItems(items: readonly NeverBlockItem[]): ParsedItem[] {
  const parsed: ParsedItem[] = [];
  for (const item of items) {
    try {
      const address = parseAddress(item.value);
      parsed.push({ item: { ...item, value: address.text }, parsed: address });
    } catch {
      // Reported by checkSafetyConfig (config) or skipped with a warning (store).
    }
  }
  return parsed;
}

/**
 * Refuses a block of `addressText` when it is not an address, is a /0, or shares any address with
 * a never-block entry (a /16 holding the gateway is refused, not only the gateway). An
 * IPv4-mapped IPv6 target is checked as the IPv4 addresses it stands for as well.
 */
export function checkAddress(addressText: unknown, list: readonly ParsedItem[]): TargetCheck {
  let target: ParsedAddress;
  try {
    if (typeof addressText !== 'string') throw new Error('not text');
    target = parseAddress(addressText);
  } catch {
    const shown = typeof addressText === 'string' ? JSON.stringify(addressText.slice(0, 80)) : typeof addressText;
    return { refused: true, reason: `invalid-address: ${shown} is not an IP address or CIDR prefix` };
  }
  if (target.prefix === 0) {
    return { refused: true, reason: `absurd-prefix: ${target.cidr} would block every IPv${target.family} address` };
  }
  const forms = [target, ...mappedIpv4(target)];
  for (const form of forms) {
    for (const { item, parsed } of list) {
      if (!overlaps(form, parsed)) continue;
      const relation = contains(parsed, form) ? 'is in' : 'contains';
      return { refused: true, reason: `never-block: ${target.text} ${relation} ${item.value} (${item.source})`, entry: item };
    }
  }
  return { refused: false };
}

/**
 * The IPv4 prefix an IPv6 prefix covers through the IPv4-mapped range: none when it does not
 * overlap ::ffff:0:0/96, everything (0.0.0.0/0) when it holds the whole range.
 */
export function mappedIpv4(target: ParsedAddress): ParsedAddress[] {
  if (target.family !== 6 || !overlaps(target, IPV4_MAPPED)) return [];
  if (target.prefix <= 96) return [parseAddress('0.0.0.0/0')];
  const groups = ipv6Groups(target.address);
  const high = groups[6] ?? 0;
  const low = groups[7] ?? 0;
  const v4 = [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  return [parseAddress(`${v4}/${target.prefix - 96}`)];
}

/** The eight 16-bit groups of a canonical IPv6 address. */
function ipv6Groups(address: string): number[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const all = tail === undefined ? headGroups : [...headGroups, ...zeros, ...tailGroups];
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) is written by parseAddress only as hex groups, but be exact.
  return all.flatMap((group) => {
    if (!group.includes('.')) return [Number.parseInt(group, 16)];
    const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
    return [(a << 8) | b, (c << 8) | d];
  });
}

/**
 * The names an account goes by, lower-cased: as given, the user part of a user principal name
 * (`alice@corp.example` → `alice`) and the user part of a down-level logon name
 * (`CORP\alice` → `alice`). Directories resolve all of them to the same account, so a protected
 * name is matched in any of its forms.
 */
export function accountNames(account: string): string[] {
  const full = account.trim().toLowerCase();
  const names = new Set([full]);
  const at = full.lastIndexOf('@');
  if (at > 0) names.add(full.slice(0, at));
  const slash = full.lastIndexOf('\\');
  if (slash >= 0 && slash < full.length - 1) names.add(full.slice(slash + 1));
  return [...names].filter((name) => name.length > 0);
}

/**
 * Refuses disabling a protected account. Both sides are reduced to their names
 * ({@link accountNames}), so `CORP\Administrator`, `administrator@corp.example` and `Administrator`
 * all meet the protected `administrator`, and a protected `svc-backup@corp.example` also protects
 * a bare `svc-backup`: a refusal too many is a person's decision, one too few locks out an admin.
 */
export function checkAccount(account: unknown, protectedAccounts: readonly string[]): TargetCheck {
  if (typeof account !== 'string' || account.trim() === '') {
    return { refused: true, reason: `invalid-account: ${typeof account === 'string' ? 'an empty name' : typeof account} is not an account name` };
  }
  const names = new Set(accountNames(account));
  for (const entry of protectedAccounts) {
    if (accountNames(entry).some((name) => names.has(name))) {
      return { refused: true, reason: `protected-account: ${account.slice(0, 256)} is protected (${entry})` };
    }
  }
  return { refused: false };
}

/** The longest block the block-ip input schema accepts (366 days). */
const MAX_INPUT_TTL_MS = 366 * 24 * 3600 * 1000;

/**
 * What the config schema cannot say about `response.safety`, for `watchpost validate`: never-block
 * entries that are not addresses or CIDRs, and TTL limits that contradict each other.
 */
export function checkSafetyConfig(config: SafetyConfig): Problem[] {
  const problems: Problem[] = [];
  config.neverBlock.forEach((value, index) => {
    try {
      parseAddress(value);
    } catch {
      problems.push({
        message: `response.safety.neverBlock entry ${JSON.stringify(value.slice(0, 80))} is not an IP address or CIDR prefix`,
        path: `response.safety.neverBlock.${index}`,
      });
    }
  });
  if (config.maxBlockTtlMs < config.blockTtlMs) {
    problems.push({
      message: `response.safety.maxBlockTtlMs (${config.maxBlockTtlMs}) is shorter than blockTtlMs (${config.blockTtlMs}): every block would be cut to the cap`,
      path: 'response.safety.maxBlockTtlMs',
    });
  }
  if (config.maxBlockTtlMs > MAX_INPUT_TTL_MS) {
    problems.push({
      message: `response.safety.maxBlockTtlMs (${config.maxBlockTtlMs}) is longer than 366 days, the longest TTL a block can be given`,
      path: 'response.safety.maxBlockTtlMs',
    });
  }
  return problems;
}
