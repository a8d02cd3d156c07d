/**
 * The NCSA common / combined access-log line that nginx and Apache both write by default, with the
 * variants seen in the field: a virtual host first (`$host`, `$server_name`, Apache's `%v:%p`), an
 * X-Forwarded-For list as client, extra quoted fields before the request, and upstream or
 * request-time fields after the user agent. Shared by the nginx and apache parsers.
 */
import { isIP } from 'node:net';
import type { EcsEvent } from '../../../core/ecs/event.js';
import { toIso, zonedWallToUtc } from '../../syslog/timestamp.js';

const MONTHS: Readonly<Record<string, number>> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

/** Value of exactly `count` digits at `pos`, or -1. */
function digits(text: string, pos: number, count: number): number {
  if (pos + count > text.length) return -1;
  let value = 0;
  for (let i = pos; i < pos + count; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return -1;
    value = value * 10 + code - 48;
  }
  return value;
}

/** `25/Oct/2016:14:49:33 +0200` at `pos` (the character after `[`) to an ISO instant, or undefined. */
export function parseClfTime(text: string, pos: number): { iso: string; end: number } | undefined {
  const day = digits(text, pos, 2);
  const month = MONTHS[text.slice(pos + 3, pos + 6)];
  const year = digits(text, pos + 7, 4);
  const hour = digits(text, pos + 12, 2);
  const minute = digits(text, pos + 15, 2);
  const second = digits(text, pos + 18, 2);
  if (day < 1 || day > 31 || month === undefined || year < 1000 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return undefined;
  if (text[pos + 2] !== '/' || text[pos + 6] !== '/' || text[pos + 11] !== ':' || text[pos + 20] !== ' ') return undefined;
  const sign = text[pos + 21];
  const offHours = digits(text, pos + 22, 2);
  const offMinutes = digits(text, pos + 24, 2);
  if ((sign !== '+' && sign !== '-') || offHours < 0 || offHours > 23 || offMinutes < 0 || offMinutes > 59 || text[pos + 26] !== ']') return undefined;
  const offset = `${sign}${text.slice(pos + 22, pos + 24)}:${text.slice(pos + 24, pos + 26)}`;
  const instant = zonedWallToUtc({ year, month, day, hour, minute, second: Math.min(second, 59), millisecond: 0 }, offset);
  const iso = instant === undefined ? undefined : toIso(instant);
  return iso === undefined ? undefined : { iso, end: pos + 27 };
}

/** A double-quoted field at `pos` (backslash escapes kept as written): its content and end. */
function quotedAt(text: string, pos: number): { value: string; end: number } | undefined {
  if (text.charCodeAt(pos) !== 34) return undefined;
  let i = pos + 1;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 92) i += 2;
    else if (code === 34) return { value: text.slice(pos + 1, i), end: i + 1 };
    else i++;
  }
  return undefined;
}

/** Whether an address is RFC 1918, loopback, link-local or unique-local: not the real client. */
function isPrivate(ip: string): boolean {
  if (ip.includes(':')) {
    const lower = ip.toLowerCase();
    return lower === '::1' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80');
  }
  const [a, b] = ip.split('.').map(Number) as [number, number];
  return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
}

/** Percent-decoding that leaves a malformed escape as written instead of throwing. */
function decodePath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** `url.*` from a request target (`/a/b.php?x=1`, or an absolute URL in a proxy request). */
export function urlFields(target: string): NonNullable<EcsEvent['url']> {
  const url: NonNullable<EcsEvent['url']> = { original: target };
  let rest = target;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]{0,15}):\/\/([^/?#\s]{1,255})/.exec(target);
  if (scheme) {
    url.scheme = (scheme[1] as string).toLowerCase();
    const authority = scheme[2] as string;
    const colon = authority.lastIndexOf(':');
    const port = colon > 0 ? Number(authority.slice(colon + 1)) : NaN;
    if (Number.isInteger(port) && port > 0 && port <= 65535 && !authority.endsWith(']')) {
      url.domain = authority.slice(0, colon);
      url.port = port;
    } else url.domain = authority;
    rest = target.slice(scheme[0].length) || '/';
  }
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const question = rest.indexOf('?');
  const path = question >= 0 ? rest.slice(0, question) : rest;
  if (question >= 0) url.query = rest.slice(question + 1);
  if (path.length > 0) {
    url.path = decodePath(path);
    // The extension of the last path segment only: `/jobs/a.1/control` has none.
    const segment = path.slice(path.lastIndexOf('/') + 1);
    const dot = segment.lastIndexOf('.');
    if (dot > 0 && dot < segment.length - 1) url.extension = segment.slice(dot + 1).toLowerCase();
  }
  return url;
}

/** `METHOD target HTTP/x.y` into `http.request.method`, `http.version` and `url.*`. */
export function requestFields(request: string, event: EcsEvent): void {
  const first = request.indexOf(' ');
  if (first <= 0) return;
  const last = request.lastIndexOf(' ');
  const method = request.slice(0, first);
  if (!/^[A-Za-z][A-Za-z_-]{0,31}$/.test(method)) return;
  const protocol = last > first ? request.slice(last + 1) : '';
  const hasVersion = protocol.startsWith('HTTP/');
  const target = hasVersion ? request.slice(first + 1, last) : request.slice(first + 1);
  event.http = { ...event.http, request: { ...event.http?.request, method: method.toUpperCase() } };
  if (hasVersion) event.http.version = protocol.slice(5);
  if (target.length > 0) event.url = urlFields(target);
}

/** What an access line says, ready to merge into an event. */
export interface AccessLine {
  readonly timestamp: string;
  readonly fields: EcsEvent;
}

/**
 * Parses one access-log line; undefined when it is not one. `fields` holds `source.*`, `user.*`,
 * `http.*`, `url.*`, `user_agent.original`, `related.ip`, the vhost (`destination.domain`,
 * `url.domain`), `event.duration` from a request-time suffix, and the web categorisation.
 */
export function parseAccessLine(text: string): AccessLine | undefined {
  const open = text.indexOf(' [');
  if (open <= 0 || open > 1024) return undefined;
  const time = parseClfTime(text, open + 2);
  if (!time) return undefined;
  const head = text.slice(0, open).split(' ').filter((token) => token.length > 0);
  if (head.length < 3) return undefined;
  const user = head[head.length - 1] as string;
  // head: [vhost] client[, client ...] ident user — commas glue an X-Forwarded-For list together.
  const addresses: string[] = [];
  for (const token of head.slice(0, -2)) {
    const last = addresses.length - 1;
    if (last >= 0 && (addresses[last] as string).endsWith(',')) addresses[last] += ` ${token}`;
    else addresses.push(token);
  }
  if (addresses.length < 1 || addresses.length > 2) return undefined;
  const vhost = addresses.length === 2 ? addresses[0] : undefined;
  const clients = (addresses[addresses.length - 1] as string).split(',').map((part) => part.trim()).filter((part) => part.length > 0);
  if (clients.length === 0) return undefined;

  // One or more quoted fields, the last of which is the request (some formats print a proxy note first).
  let pos = time.end;
  let request: string | undefined;
  for (;;) {
    while (text.charCodeAt(pos) === 32) pos++;
    const quoted = quotedAt(text, pos);
    if (!quoted) break;
    request = quoted.value;
    pos = quoted.end;
  }
  if (request === undefined) return undefined;
  const statusText = /^(\d{3}) (\d{1,19}|-)(?= |$)/.exec(text.slice(pos, pos + 24));
  if (!statusText) return undefined;
  pos += statusText[0].length;
  const status = Number(statusText[1]);
  const bytes = statusText[2] === '-' ? undefined : Number(statusText[2]);

  const fields: EcsEvent = {
    '@timestamp': time.iso,
    event: { kind: 'event', category: ['web'], type: ['access'], outcome: status >= 400 ? 'failure' : 'success' },
  };
  // The client: the first public address of a forwarded list (the proxies append private ones), else the first.
  const ips = clients.filter((client) => isIP(client) !== 0);
  const ip = ips.length === clients.length ? (ips.find((candidate) => !isPrivate(candidate)) ?? ips[0]) : undefined;
  if (ip !== undefined) {
    fields.source = { address: ip, ip };
    fields.related = { ip: [ip] };
    if (clients.length > 1) fields.network = { forwarded_ip: ip };
  } else {
    const address = clients[0] as string;
    fields.source = { address, domain: address };
  }
  if (user !== '-') {
    fields.user = { name: user };
    fields.related = { ...fields.related, user: [user] };
  }
  requestFields(request, fields);
  fields.http = { ...fields.http, response: { status_code: status, ...(bytes === undefined || !Number.isSafeInteger(bytes) ? {} : { body: { bytes } }) } };
  if (vhost !== undefined && vhost !== '-') {
    // Apache's vhost_combined writes `%v:%p`; nginx `$host` has no port.
    const colon = vhost.lastIndexOf(':');
    const port = colon > 0 ? Number(vhost.slice(colon + 1)) : NaN;
    const domain = Number.isInteger(port) && port > 0 && port <= 65535 ? vhost.slice(0, colon) : vhost;
    fields.destination = { domain, ...(Number.isInteger(port) && port > 0 && port <= 65535 ? { port } : {}) };
    fields.url = { ...fields.url, domain };
  }

  // Combined format: referrer and user agent, then whatever the site appended.
  while (text.charCodeAt(pos) === 32) pos++;
  const referrer = quotedAt(text, pos);
  if (referrer) {
    if (referrer.value !== '-' && referrer.value.length > 0) fields.http.request = { ...fields.http.request, referrer: referrer.value };
    pos = referrer.end;
    while (text.charCodeAt(pos) === 32) pos++;
    const agent = quotedAt(text, pos);
    if (agent) {
      if (agent.value !== '-' && agent.value.length > 0) fields.user_agent = { original: agent.value };
      pos = agent.end;
      suffixFields(text.slice(pos), fields);
    }
  }
  return { timestamp: time.iso, fields };
}

/**
 * Fields appended after the user agent: `rt=0.123` / `request_time=0.123` (seconds), or a bare
 * number as the first unquoted token (`$request_time` in many nginx formats). Into event.duration (ns).
 */
function suffixFields(rest: string, fields: EcsEvent): void {
  if (rest.length === 0 || rest.length > 2048) return;
  let seconds: number | undefined;
  let bareSeen = false;
  for (const token of rest.split(' ')) {
    if (token.length === 0 || token.startsWith('"')) continue;
    const eq = token.indexOf('=');
    if (eq > 0) {
      const key = token.slice(0, eq);
      if (key === 'rt' || key === 'request_time') seconds = Number(token.slice(eq + 1));
    } else if (!bareSeen) {
      bareSeen = true;
      if (/^\d{1,9}\.\d{1,9}$/.test(token)) seconds = Number(token);
    }
  }
  if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) {
    fields.event = { ...fields.event, duration: Math.round(seconds * 1e9) };
  }
}
