import type { EcsEvent } from '../../../core/ecs/event.js';
import { toIso } from '../../syslog/timestamp.js';
import { endpoint, outcomeOfStatus, parseInteger, relatedIps } from '../haproxy/web-fields.js';
import type { Parser } from '../parser.js';

const NS_PER_MS = 1_000_000;

/**
 * Field positions of IIS's default W3C extended field sets. 15 fields: IIS 8.5 and later
 * (`date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent)
 * cs(Referer) sc-status sc-substatus sc-win32-status time-taken`); 14 fields: IIS 7.x, the same
 * without cs(Referer).
 */
interface Layout {
  readonly userAgent: number;
  readonly referrer?: number;
  readonly status: number;
}
const LAYOUTS: ReadonlyMap<number, Layout> = new Map([
  [15, { userAgent: 9, referrer: 10, status: 11 }],
  [14, { userAgent: 9, status: 10 }],
]);

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** `2026-11-24 09:15:02` (always UTC in W3C logs) to ISO, or undefined. */
function parseDateTime(date: string, time: string): string | undefined {
  if (date.length !== 10 || date[4] !== '-' || date[7] !== '-' || time.length < 8 || time[2] !== ':' || time[5] !== ':') return undefined;
  const year = parseInteger(date.slice(0, 4));
  const month = parseInteger(date.slice(5, 7));
  const day = parseInteger(date.slice(8, 10));
  const hour = parseInteger(time.slice(0, 2));
  const minute = parseInteger(time.slice(3, 5));
  const second = parseInteger(time.slice(6, 8));
  let millisecond = 0;
  if (time.length > 8) {
    const fraction = time[8] === '.' ? parseInteger(time.slice(9, 12).padEnd(3, '0')) : undefined;
    if (fraction === undefined || fraction < 0 || time.length > 16) return undefined;
    millisecond = fraction;
  }
  if (year === undefined || month === undefined || day === undefined || hour === undefined || minute === undefined || second === undefined) return undefined;
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const instant = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  // Date.UTC rolls 31 Feb over into March; a date that does not round-trip is not a date.
  if (new Date(instant).getUTCDate() !== day) return undefined;
  return toIso(instant);
}

/** A W3C field value: `-` is empty; IIS writes spaces in values as `+`. */
function value(field: string | undefined): string | undefined {
  return field === undefined || field === '-' || field.length === 0 ? undefined : field;
}

/**
 * Microsoft IIS access logs in the W3C extended format with the default field set (IIS 8.5+,
 * and IIS 7.x's without cs(Referer)). A W3C file's `#Fields:` directive defines its field order,
 * and a parser sees one line at a time: a site logging other fields or another order is refused
 * (`w3c_field_count` when the count differs, `no_match` when a value does not fit its position);
 * use the default field set or convert the file. Directive lines (`#Software`, `#Version`,
 * `#Date`, `#Fields`) are recognised and refused with `w3c_directive`, so they are stored tagged
 * rather than mis-parsed.
 */
export const iisParser: Parser = {
  id: 'iis',
  description: 'Microsoft IIS W3C extended access log (default fields)',
  programs: ['iis', 'w3svc'],
  timeResolution: 'W3C extended logs write date and time in UTC whatever the server\'s zone (Microsoft\'s documented behaviour), so the configured timezone is not applied.',
  matches(context) {
    const text = context.text;
    if (text.startsWith('#')) return text.startsWith('#Fields:') || text.startsWith('#Software:') || text.startsWith('#Version:') || text.startsWith('#Date:');
    // `2026-11-24 09:15:02 ` and the 14 or 15 fields of a default layout: a date-prefixed line of
    // another program must not be claimed (a refusal would tag it as a parse failure).
    if (!(text.length > 40 && isDigit(text.charCodeAt(0)) && text.charCodeAt(4) === 45 && text.charCodeAt(7) === 45 && text.charCodeAt(10) === 32 && text.charCodeAt(13) === 58)) return false;
    let spaces = 0;
    for (let at = text.indexOf(' '); at >= 0 && spaces < 16; at = text.indexOf(' ', at + 1)) spaces++;
    return spaces === 13 || spaces === 14;
  },
  parse(context) {
    const text = context.text.trim();
    if (text.startsWith('#')) return { failure: 'w3c_directive' };
    const fields = text.split(' ');
    const layout = LAYOUTS.get(fields.length);
    if (layout === undefined) return { failure: 'w3c_field_count' };
    const [date = '', time = '', serverIp, method = '', stem = '', query, serverPortToken, userName, clientIp] = fields;
    const timestamp = parseDateTime(date, time);
    if (timestamp === undefined) return { failure: 'bad_timestamp' };
    const serverPort = parseInteger(serverPortToken);
    const status = parseInteger(fields[layout.status]);
    const subStatus = parseInteger(fields[layout.status + 1]);
    const win32Status = parseInteger(fields[layout.status + 2]);
    const timeTaken = value(fields[layout.status + 3]) === undefined ? undefined : parseInteger(fields[layout.status + 3]);
    if (serverPort === undefined || status === undefined || subStatus === undefined || win32Status === undefined || !/^[A-Z][A-Z_-]{0,31}$/.test(method)) {
      return { failure: 'no_match' };
    }

    const event: EcsEvent = {
      ...context.base,
      '@timestamp': timestamp,
      event: {
        ...context.base.event,
        kind: 'event',
        category: ['web'],
        type: ['access'],
        outcome: outcomeOfStatus(status),
        module: 'iis',
        dataset: 'iis.access',
        ...(timeTaken !== undefined && timeTaken >= 0 ? { duration: timeTaken * NS_PER_MS } : {}),
      },
    };
    const source = endpoint(value(clientIp));
    if (source) event.source = source;
    const destination = endpoint(value(serverIp), serverPort);
    if (destination) event.destination = destination;
    const path = value(stem);
    const search = value(query);
    if (path !== undefined) {
      const slash = path.lastIndexOf('/');
      const dot = path.lastIndexOf('.');
      event.url = {
        original: search === undefined ? path : `${path}?${search}`,
        path,
        ...(search === undefined ? {} : { query: search }),
        ...(dot > slash + 1 && dot < path.length - 1 ? { extension: path.slice(dot + 1) } : {}),
        ...(serverPort > 0 && serverPort <= 65535 ? { port: serverPort } : {}),
      };
    }
    const referrer = layout.referrer === undefined ? undefined : value(fields[layout.referrer]);
    event.http = {
      request: { method, ...(referrer === undefined ? {} : { referrer }) },
      response: { status_code: status },
    };
    const agent = value(fields[layout.userAgent]);
    if (agent !== undefined) event.user_agent = { original: agent.replaceAll('+', ' ') };
    const name = value(userName);
    if (name !== undefined) event.user = { ...event.user, name };
    const ips = relatedIps(source?.ip, destination?.ip);
    if (ips.length > 0 || name !== undefined) {
      event.related = { ...context.base.related, ...(ips.length > 0 ? { ip: ips } : {}), ...(name === undefined ? {} : { user: [name] }) };
    }
    // No ECS field holds IIS's sub-status and Win32 status (e.g. 401.2, 0x5 access denied).
    event.labels = { ...context.base.labels, iis_sub_status: String(subStatus), iis_win32_status: String(win32Status) };
    return { event };
  },
};
