/**
 * Cisco ASA and Firepower Threat Defense syslog: `%ASA-<sev>-<id>: <text>` (also `%FTD-`, and
 * `%ASA-<suffix>-<sev>-<id>` when logging with the device-id suffix), mapped per message id.
 */
import { isIP } from 'node:net';
import type { EcsEvent } from '../../../core/ecs/event.js';
import { SEVERITY_NAMES } from '../../syslog/to-ecs.js';
import { inferYear, scanBsdTimestamp, toIso, zonedWallToUtc } from '../../syslog/timestamp.js';
import type { ParseContext, Parser, ParseResult } from '../parser.js';
import { applyMessage, type AsaFields } from './messages.js';

/** The `%ASA-...: ` header: where it starts, the product, severity, id and where the text starts. */
interface AsaHeader {
  readonly start: number;
  readonly product: 'asa' | 'ftd';
  readonly severity: number;
  readonly id: string;
  readonly suffix?: string;
  readonly body: number;
}

function findMarker(text: string): number {
  const asa = text.indexOf('%ASA-');
  if (asa >= 0) return asa;
  return text.indexOf('%FTD-');
}

const HEADER = /^%(ASA|FTD)-(?:([A-Za-z_]{1,32})-)?([0-7])-(\d{6}): ?/;

function headerOf(text: string): AsaHeader | undefined {
  const start = findMarker(text);
  if (start < 0) return undefined;
  const match = HEADER.exec(text.slice(start, start + 64));
  if (!match?.[1] || !match[3] || !match[4]) return undefined;
  return {
    start,
    product: match[1] === 'ASA' ? 'asa' : 'ftd',
    severity: Number(match[3]),
    id: match[4],
    ...(match[2] ? { suffix: match[2] } : {}),
    body: start + match[0].length,
  };
}

/**
 * The ASA's own timestamp before the marker (`Sep 25 15:47:07 EDT: %ASA-...`, logging timestamp
 * with a zone): it is more precise than the relay's header when it names its zone.
 */
function innerTimestamp(context: ParseContext, head: string): string | undefined {
  let pos = 0;
  while (pos < head.length && (head.charCodeAt(pos) === 32 || head.charCodeAt(pos) === 58)) pos++;
  const scan = scanBsdTimestamp(head, pos);
  // Without a zone or a year it tells nothing the syslog header did not.
  if (!scan?.valid || (scan.zoneOffsetMs === undefined && scan.year === undefined)) return undefined;
  const zoned = scan.zoneOffsetMs !== undefined;
  const zone = zoned ? 'UTC' : context.timezone;
  const year = scan.year ?? inferYear(scan.month, scan.day, scan.hour, scan.minute, scan.second, zone, context.record.receivedAt);
  if (year === undefined) return undefined;
  const wall = { year, month: scan.month, day: scan.day, hour: scan.hour, minute: scan.minute, second: scan.second, millisecond: scan.millisecond };
  const utc = zonedWallToUtc(wall, zone);
  if (utc === undefined) return undefined;
  return toIso(utc - (scan.zoneOffsetMs ?? 0));
}

function parseAsa(context: ParseContext): ParseResult {
  const text = context.text;
  const header = headerOf(text);
  if (!header) return { failure: 'no_match' };
  const body = text.slice(header.body).trimEnd();
  // A shallow copy: every nested object this parser changes is replaced, never mutated in place.
  const event: EcsEvent = Object.assign({}, context.base); // not a spread: spreading the base event was the hot spot
  const timestamp = innerTimestamp(context, text.slice(0, header.start));
  if (timestamp !== undefined) event['@timestamp'] = timestamp;
  event.message = body;
  event.event = {
    ...event.event,
    kind: 'event',
    category: ['network'],
    code: header.id,
    severity: header.severity,
    dataset: 'cisco_asa.log',
    module: 'cisco_asa',
    // Unless the ASA named its zone, its local times were read in the configured one.
    ...(timestamp === undefined ? { timezone: context.timezone } : {}),
  };
  const level = SEVERITY_NAMES[header.severity];
  if (level !== undefined) event.log = { ...event.log, level };
  event.observer = { ...event.observer, vendor: 'Cisco', product: header.product, type: 'firewall' };
  const fields: AsaFields = { event, id: header.id, body };
  applyMessage(fields);
  const ips: string[] = [];
  for (const ip of [event.source?.ip, event.destination?.ip, event.source?.nat?.ip, event.destination?.nat?.ip]) {
    if (ip !== undefined && isIP(ip) !== 0 && !ips.includes(ip)) ips.push(ip);
  }
  const users: string[] = [];
  for (const user of [event.user?.name, event.source?.user?.name, event.destination?.user?.name]) {
    if (user !== undefined && user.length > 0 && !users.includes(user)) users.push(user);
  }
  if (ips.length > 0 || users.length > 0) {
    event.related = { ...event.related, ...(ips.length > 0 ? { ip: ips } : {}), ...(users.length > 0 ? { user: users } : {}) };
  }
  return { event };
}

/** Cisco ASA / FTD. */
export const ciscoAsaParser: Parser = {
  id: 'cisco-asa',
  description: 'Cisco ASA and FTD syslog messages (%ASA-/%FTD-): denies, connections, NAT, AAA, threat detection',
  programs: [],
  timeResolution:
    'The ASA timestamp before %ASA- is used when it carries a zone abbreviation or a year (no year: inferred from the receive time); otherwise the syslog header time in the source\'s configured zone, else the receive time.',
  matches(context) {
    return findMarker(context.text) >= 0;
  },
  parse: parseAsa,
};
