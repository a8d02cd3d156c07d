import { isIP } from 'node:net';
import type { EcsEvent, EventType } from '../../../core/ecs/event.js';
import { toIso, zonedWallToUtc } from '../../syslog/timestamp.js';

/**
 * Small helpers shared by the firewall-b parsers (PAN-OS, Check Point, Sophos XG, Juniper SRX,
 * SonicWall): the same checks on ports, addresses and local wall-clock times recur in each.
 */

/** A non-negative integer written in decimal, or undefined (empty, signed, fractional, too big). */
export function toCount(value: string | undefined): number | undefined {
  if (value === undefined || value.length === 0 || value.length > 15) return undefined;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return undefined;
  }
  return Number(value);
}

/** A TCP/UDP port (0-65535) or undefined. */
export function toPort(value: string | undefined): number | undefined {
  const port = toCount(value);
  return port !== undefined && port <= 65535 ? port : undefined;
}

/** The address when it is a literal IPv4 or IPv6 address (so a hostname never lands in `*.ip`). */
export function toIp(value: string | undefined): string | undefined {
  if (value === undefined || value.length < 2 || value.length > 45) return undefined;
  return isIP(value) === 0 ? undefined : value;
}

/** Sets `ip`/`port` of an endpoint object when valid; returns whether anything was set. */
export function setEndpoint(target: { ip?: string; port?: number }, ip: string | undefined, port: string | undefined): boolean {
  const address = toIp(ip);
  const number = toPort(port);
  if (address !== undefined) target.ip = address;
  if (number !== undefined) target.port = number;
  return address !== undefined || number !== undefined;
}

/** Unique, non-empty values in first-seen order (for `related.*`). */
export function unique(values: readonly (string | undefined)[]): string[] {
  const out: string[] = [];
  for (const value of values) if (value !== undefined && value.length > 0 && !out.includes(value)) out.push(value);
  return out;
}

/** Adds `related.ip` from the event's endpoints (source, destination and their NAT addresses). */
export function addRelatedIps(event: EcsEvent): void {
  const ips = unique([event.source?.ip, event.destination?.ip, event.source?.nat?.ip, event.destination?.nat?.ip, ...(event.related?.ip ?? [])]);
  if (ips.length > 0) event.related = { ...event.related, ip: ips };
}

/** Adds `related.user` from `user.name` and anything already there. */
export function addRelatedUser(event: EcsEvent, ...names: (string | undefined)[]): void {
  const users = unique([...(event.related?.user ?? []), ...names]);
  if (users.length > 0) event.related = { ...event.related, user: users };
}

/**
 * A `YYYY-MM-DD hh:mm:ss` (any single separator in the date, `T` or space before the time)
 * local time read in `zone`, as ISO UTC; undefined when it does not scan or is out of range.
 */
export function localTimeToIso(text: string | undefined, zone: string): string | undefined {
  if (text === undefined || text.length < 19) return undefined;
  const digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
  for (const at of digits) {
    const code = text.charCodeAt(at);
    if (code < 48 || code > 57) return undefined;
  }
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  const hour = Number(text.slice(11, 13));
  const minute = Number(text.slice(14, 16));
  const second = Number(text.slice(17, 19));
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const instant = zonedWallToUtc({ year, month, day, hour, minute, second, millisecond: 0 }, zone);
  return instant === undefined ? undefined : toIso(instant);
}

/** `event.type` for a permitted or refused connection, plus the phase when the log says. */
export function connectionTypes(allowed: boolean | undefined, phase?: 'start' | 'end'): EventType[] {
  const types: EventType[] = ['connection'];
  if (allowed !== undefined) types.push(allowed ? 'allowed' : 'denied');
  if (phase !== undefined) types.push(phase);
  return types;
}

/** The transport name for an IANA protocol number or name as firewalls write it. */
export function transportName(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0) return undefined;
  const lower = value.toLowerCase();
  switch (lower) {
    case '6':
      return 'tcp';
    case '17':
      return 'udp';
    case '1':
      return 'icmp';
    case '58':
      return 'ipv6-icmp';
    case '47':
      return 'gre';
    case '50':
      return 'esp';
    default:
      return toCount(lower) === undefined ? lower : undefined;
  }
}

/** More pairs than any firewall line carries: a guard against pathological input. */
const MAX_PAIRS = 400;

function isKeyChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 45 || code === 46;
}

/**
 * Reads `key=value key="quoted value" key='quoted' key=` as Sophos XG and SonicWall write it. Quotes are not
 * escaped in these formats; an unterminated quote runs to the end of the line. A bare word that
 * is not `key=` belongs to the previous unquoted value (Sophos serials like `C443- P29PUA`).
 * Keys repeat rarely; the first occurrence wins.
 */
export function parseKeyValues(text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  const length = text.length;
  let i = 0;
  let lastKey: string | undefined;
  while (i < length && pairs.size < MAX_PAIRS) {
    const code = text.charCodeAt(i);
    if (code === 32 || code === 9 || code === 44) {
      i++;
      continue;
    }
    let k = i;
    while (k < length && isKeyChar(text.charCodeAt(k))) k++;
    if (k > i && k < length && text.charCodeAt(k) === 61) {
      const key = text.slice(i, k);
      let value: string;
      let j = k + 1;
      const quote = text.charCodeAt(j);
      if (quote === 34 || quote === 39) {
        const close = text.indexOf(quote === 34 ? '"' : "'", j + 1);
        value = close < 0 ? text.slice(j + 1) : text.slice(j + 1, close);
        j = close < 0 ? length : close + 1;
        lastKey = undefined;
      } else {
        const space = text.indexOf(' ', j);
        value = space < 0 ? text.slice(j) : text.slice(j, space);
        j = space < 0 ? length : space;
        lastKey = key;
      }
      if (!pairs.has(key)) pairs.set(key, value);
      else lastKey = undefined;
      i = j;
      continue;
    }
    // Not a pair: a stray word, appended to the previous unquoted value.
    const space = text.indexOf(' ', i);
    const end = space < 0 ? length : space;
    if (lastKey !== undefined) pairs.set(lastKey, `${pairs.get(lastKey) ?? ''} ${text.slice(i, end)}`);
    i = end;
  }
  return pairs;
}

/** A MAC as ECS writes it: upper case, dash-separated (`00-1A-2B-3C-4D-5E`); undefined if malformed. */
export function toMac(value: string | undefined): string | undefined {
  if (value === undefined || value.length !== 17) return undefined;
  let out = '';
  for (let i = 0; i < 17; i++) {
    const code = value.charCodeAt(i);
    if (i % 3 === 2) {
      if (code !== 58 && code !== 45) return undefined;
      out += '-';
    } else {
      const hex = (code >= 48 && code <= 57) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70);
      if (!hex) return undefined;
      out += value[i]?.toUpperCase() ?? '';
    }
  }
  return out;
}

/** Splits a URL into the ECS `url.*` parts (scheme optional: firewalls often log `host/path`). */
export function toUrl(original: string): NonNullable<EcsEvent['url']> {
  const schemeEnd = original.indexOf('://');
  const rest = schemeEnd >= 0 ? original.slice(schemeEnd + 3) : original;
  let slash = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const code = rest.charCodeAt(i);
    if (code === 47 || code === 63 || code === 35) {
      slash = i;
      break;
    }
  }
  const hostPort = rest.slice(0, slash);
  const pathQuery = rest.slice(slash);
  const hash = pathQuery.indexOf('#');
  const noFragment = hash >= 0 ? pathQuery.slice(0, hash) : pathQuery;
  const question = noFragment.indexOf('?');
  const path = question >= 0 ? noFragment.slice(0, question) : noFragment;
  const colon = hostPort.lastIndexOf(':');
  const port = colon > 0 && !hostPort.endsWith(']') ? toPort(hostPort.slice(colon + 1)) : undefined;
  const domain = port !== undefined ? hostPort.slice(0, colon) : hostPort;
  const url: NonNullable<EcsEvent['url']> = { original };
  if (schemeEnd > 0) {
    url.scheme = original.slice(0, schemeEnd).toLowerCase();
    url.full = original;
  }
  if (domain.length > 0) url.domain = domain;
  if (port !== undefined) url.port = port;
  if (path.length > 0) url.path = path;
  if (question >= 0 && question + 1 < noFragment.length) url.query = noFragment.slice(question + 1);
  const lastSlash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  if (dot > lastSlash + 1 && dot < path.length - 1) url.extension = path.slice(dot + 1).toLowerCase();
  return url;
}

/** Syslog severity names as firewalls spell them, to their code (`event.severity`) and ECS level. */
export const SEVERITY_BY_NAME: Readonly<Record<string, { code: number; level: string }>> = {
  emergency: { code: 0, level: 'emergency' },
  alert: { code: 1, level: 'alert' },
  critical: { code: 2, level: 'critical' },
  error: { code: 3, level: 'error' },
  warning: { code: 4, level: 'warning' },
  notice: { code: 5, level: 'notice' },
  notification: { code: 5, level: 'notice' },
  information: { code: 6, level: 'informational' },
  informational: { code: 6, level: 'informational' },
  info: { code: 6, level: 'informational' },
  debug: { code: 7, level: 'debug' },
};
