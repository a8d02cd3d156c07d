import { isIP } from 'node:net';
import type { EcsEvent } from '../../../core/ecs/event.js';
import { toIso } from '../../syslog/timestamp.js';
import { endpoint, outcomeOfStatus, parseInteger, relatedIps, urlFields } from '../haproxy/web-fields.js';
import type { ParseContext, Parser, ParseResult } from '../parser.js';

const NS_PER_MS = 1_000_000;

/** `1140701044.525`: epoch seconds with milliseconds (Squid's `%ts.%03tu`) to ISO, or undefined. */
function parseEpoch(token: string): string | undefined {
  const dot = token.indexOf('.');
  const seconds = parseInteger(dot < 0 ? token : token.slice(0, dot));
  if (seconds === undefined || seconds < 0 || seconds > 99_999_999_999) return undefined;
  let millis = 0;
  if (dot >= 0) {
    const fraction = token.slice(dot + 1);
    const value = parseInteger(fraction.slice(0, 3).padEnd(3, '0'));
    if (value === undefined || value < 0 || parseInteger(fraction) === undefined) return undefined;
    millis = value;
  }
  return toIso(seconds * 1000 + millis);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function web(context: ParseContext): EcsEvent {
  const event: EcsEvent = {
    ...context.base,
    event: { ...context.base.event, kind: 'event', category: ['web', 'network'], type: ['access'], module: 'squid', dataset: 'squid.access', provider: 'squid' },
  };
  // OPNsense tags its Squid lines `(squid-1)`: the process is squid-1.
  const name = event.process?.name;
  if (name !== undefined && name.length > 2 && name.startsWith('(') && name.endsWith(')')) event.process = { ...event.process, name: name.slice(1, -1) };
  return event;
}

function setNetworkType(event: EcsEvent, ip: string | undefined): void {
  if (ip !== undefined) event.network = { ...event.network, type: isIP(ip) === 6 ? 'ipv6' : 'ipv4' };
}

function labelsOf(requestStatus: string | undefined, hierarchyStatus: string | undefined, base: EcsEvent): Record<string, string> | undefined {
  const labels: Record<string, string> = { ...base.labels };
  if (requestStatus !== undefined && requestStatus.length > 0) labels.request_status = requestStatus;
  if (hierarchyStatus !== undefined && hierarchyStatus.length > 0) labels.hierarchy_status = hierarchyStatus;
  return Object.keys(labels).length > 0 ? labels : undefined;
}

/** The native access.log line: `time elapsed client code/status bytes method URL rfc931 hier/peer type`. */
function parseNative(context: ParseContext): ParseResult {
  const fields = context.text.trim().split(/ +/);
  if (fields.length < 9 || fields.length > 12) return { failure: 'no_match' };
  const [time = '', elapsedToken, client, codeStatus = '', bytesToken, method = '', target = '', ident, hierPeer = '', type] = fields;
  const timestamp = parseEpoch(time);
  if (timestamp === undefined) return { failure: 'bad_timestamp' };
  const elapsed = parseInteger(elapsedToken);
  const bytes = parseInteger(bytesToken);
  const slash = codeStatus.indexOf('/');
  const status = slash < 0 ? undefined : parseInteger(codeStatus.slice(slash + 1));
  if (elapsed === undefined || bytes === undefined || status === undefined || !/^[A-Za-z_-]{1,32}$/.test(method)) return { failure: 'no_match' };

  const event = web(context);
  event['@timestamp'] = timestamp;
  if (elapsed >= 0) event.event = { ...event.event, duration: elapsed * NS_PER_MS };
  event.event = { ...event.event, outcome: outcomeOfStatus(status) };
  const source = endpoint(client);
  if (source) event.source = source;
  setNetworkType(event, source?.ip);
  const peerSlash = hierPeer.indexOf('/');
  const hierarchy = peerSlash < 0 ? hierPeer : hierPeer.slice(0, peerSlash);
  // The peer is the server (or parent cache) Squid fetched from: `-` when it served from cache or denied.
  const destination = peerSlash < 0 ? undefined : endpoint(hierPeer.slice(peerSlash + 1));
  if (destination) event.destination = destination;
  event.http = {
    request: { method: method.toUpperCase() },
    // Squid's status 000 means no reply was sent (aborted, denied before a reply).
    response: { ...(status > 0 ? { status_code: status } : {}), ...(bytes >= 0 ? { bytes } : {}), ...(type !== undefined && type !== '-' && type.includes('/') ? { mime_type: type } : {}) },
  };
  event.url = urlFields(target);
  if (ident !== undefined && ident !== '-') {
    // Squid URL-encodes the user name it logs (`DOMAIN%5Cuser`).
    let name = ident;
    try {
      name = decodeURIComponent(ident);
    } catch {
      // A malformed escape: keep it as logged.
    }
    event.user = { ...event.user, name };
    event.related = { ...event.related, user: [name] };
  }
  const ips = relatedIps(source?.ip, destination?.ip);
  if (ips.length > 0) event.related = { ...event.related, ip: ips };
  const labels = labelsOf(slash < 0 ? codeStatus : codeStatus.slice(0, slash), hierarchy, context.base);
  if (labels) event.labels = labels;
  return { event };
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value !== '-' ? value : undefined;
}

function integer(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  return typeof value === 'string' ? parseInteger(value) : undefined;
}

/**
 * OPNsense's Squid writes its access log as ECS-like JSON (`logformat` with `{"@timestamp":…}`):
 * `http.response.body.status_code` is its spelling of the status, `event.duration` is in ms.
 */
function parseJson(context: ParseContext): ParseResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(context.text);
  } catch {
    return { failure: 'bad_json' };
  }
  const doc = record(parsed);
  const http = record(doc.http);
  const request = record(http.request);
  const response = record(http.response);
  const method = text(request.method);
  const status = integer(record(response.body).status_code) ?? integer(response.status_code);
  const original = text(record(doc.url).original);
  if (method === undefined || status === undefined || original === undefined) return { failure: 'no_match' };

  const event = web(context);
  const time = text(doc['@timestamp']);
  if (time !== undefined) {
    // `2026-08-08T19:42:51+0000`: Date.parse does not take an offset without a colon.
    const instant = Date.parse(time.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    const iso = Number.isNaN(instant) ? undefined : toIso(instant);
    if (iso === undefined) return { failure: 'bad_timestamp' };
    event['@timestamp'] = iso;
  }
  const duration = integer(record(doc.event).duration);
  if (duration !== undefined && duration >= 0) event.event = { ...event.event, duration: duration * NS_PER_MS };
  event.event = { ...event.event, outcome: outcomeOfStatus(status) };
  const bytes = integer(response.bytes);
  const version = text(http.version);
  event.http = {
    request: { method },
    response: { ...(status > 0 ? { status_code: status } : {}), ...(bytes !== undefined && bytes >= 0 ? { bytes } : {}) },
    ...(version === undefined ? {} : { version }),
  };
  event.url = urlFields(original);
  const source = endpoint(text(record(doc.source).ip));
  if (source) event.source = source;
  setNetworkType(event, source?.ip);
  const userName = text(record(doc.user).name);
  if (userName !== undefined) event.user = { ...event.user, name: userName };
  const agent = text(record(doc.user_agent).original);
  if (agent !== undefined) event.user_agent = { original: agent };
  const ips = relatedIps(source?.ip);
  if (ips.length > 0 || userName !== undefined) {
    event.related = { ...event.related, ...(ips.length > 0 ? { ip: ips } : {}), ...(userName === undefined ? {} : { user: [userName] }) };
  }
  const vendorLabels = record(doc.labels);
  const labels = labelsOf(text(vendorLabels.request_status), text(vendorLabels.hierarchy_status), context.base);
  if (labels) event.labels = labels;
  return { event };
}

/**
 * Squid's native access.log format (`logformat squid`, the default) and the ECS-like JSON lines
 * OPNsense's Squid sends. Result and hierarchy codes (`TCP_MISS`, `HIER_DIRECT`) go to
 * `labels.request_status` / `labels.hierarchy_status` (OPNsense's own spelling); the peer Squid
 * fetched from is `destination.*`. Custom `logformat`s and the `common`/`combined` emulations
 * are not this parser's (the Apache parsers read the latter).
 */
export const squidParser: Parser = {
  id: 'squid',
  description: 'Squid native access.log and OPNsense Squid JSON access lines',
  programs: ['squid', 'squid-1', '(squid-1)'],
  timeResolution:
    'The native line starts with the Unix epoch in seconds and milliseconds: absolute, no year or zone to infer. The JSON line carries an ISO 8601 @timestamp with its offset. A JSON line without one keeps the syslog header time.',
  matches(context) {
    const line = context.text;
    if (line.startsWith('{')) return line.includes('"squid');
    // `1140701044.525 ` : ten digits, a dot, three digits.
    return line.length > 30 && isDigit(line.charCodeAt(0)) && line.charCodeAt(10) === 46 && isDigit(line.charCodeAt(11)) && line.charCodeAt(14) === 32;
  },
  parse(context) {
    return context.text.startsWith('{') ? parseJson(context) : parseNative(context);
  },
};
