import { isIP } from 'node:net';
import type { EcsEvent } from '../../../core/ecs/event.js';
import { toIso, zonedWallToUtc } from '../../syslog/timestamp.js';
import { parseAccessLine } from '../nginx/combined-log.js';
import { mergeInto } from '../nginx/parser.js';
import type { ParseContext, Parser, ParseResult } from '../parser.js';

const MONTHS: Readonly<Record<string, number>> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

// `[Mon Dec 26 16:15:55.103786 2016]`: ctime with optional microseconds (2.4) and no zone.
const ERROR_TIME = /^\[[A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? (\d{4})\] /;
// One bracketed header field after the time: `[error]`, `[core:notice]`, `[pid 1:tid 2]`, `[client 1.2.3.4:5]`.
// A bracketed IPv6 client (`[client [2001:db8::5]:60110]`) is the one field with `]` inside.
const BRACKET = /^\[((?:client|remote) \[[0-9a-fA-F:.]{2,45}\]:\d{1,5}|[^\]]{1,128})\] ?/;
const NOTICE_LEVELS: ReadonlySet<string> = new Set(['notice', 'info', 'debug']);

/** `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[2001:db8::1]:443` into an address and port. */
function splitAddress(text: string): { ip?: string; port?: number; address: string } {
  if (isIP(text) !== 0) return { ip: text, address: text };
  const bracketed = /^\[([0-9a-fA-F:.]{2,45})\]:(\d{1,5})$/.exec(text);
  if (bracketed && isIP(bracketed[1] as string) !== 0) return { ip: bracketed[1], port: Number(bracketed[2]), address: bracketed[1] as string };
  const colon = text.lastIndexOf(':');
  if (colon > 0 && isIP(text.slice(0, colon)) === 4) {
    const port = Number(text.slice(colon + 1));
    if (Number.isInteger(port) && port >= 0 && port <= 65535) return { ip: text.slice(0, colon), port, address: text.slice(0, colon) };
  }
  return { address: text };
}

function parseError(context: ParseContext, text: string): ParseResult {
  const time = ERROR_TIME.exec(text);
  if (!time) return { failure: 'no_match' };
  const month = MONTHS[time[1] as string];
  const [day, hour, minute, second, year] = [time[2], time[3], time[4], time[5], time[7]].map(Number) as [number, number, number, number, number];
  const millisecond = time[6] === undefined ? 0 : Math.floor(Number(time[6].padEnd(6, '0')) / 1000);
  if (month === undefined || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return { failure: 'bad_timestamp' };
  // The error log is written in the server's local time without an offset: read it in the source's zone.
  const instant = zonedWallToUtc({ year, month, day, hour, minute, second: Math.min(second, 59), millisecond }, context.timezone);
  const timestamp = instant === undefined ? undefined : toIso(instant);
  if (timestamp === undefined) return { failure: 'bad_timestamp' };

  const fields: EcsEvent = { '@timestamp': timestamp, event: { kind: 'event', category: ['web'] } };
  let level: string | undefined;
  let pos = time[0].length;
  for (let i = 0; i < 5; i++) {
    const bracket = BRACKET.exec(text.slice(pos, pos + 132));
    if (!bracket) break;
    const content = bracket[1] as string;
    if (content.startsWith('pid ')) {
      // `pid 35708` or `pid 35708:tid 4328636416`
      const match = /^pid (\d{1,10})(?::tid (\d{1,20}))?$/.exec(content);
      if (match) fields.process = { pid: Number(match[1]), ...(match[2] === undefined ? {} : { thread: { id: Number(match[2]) } }) };
    } else if (content.startsWith('client ') || content.startsWith('remote ')) {
      const address = splitAddress(content.slice(7));
      fields.source = { address: address.address, ...(address.ip === undefined ? { domain: address.address } : { ip: address.ip }), ...(address.port === undefined ? {} : { port: address.port }) };
      if (address.ip !== undefined) fields.related = { ip: [address.ip] };
    } else if (level === undefined && /^(?:[a-z0-9_]{1,32}:)?[a-z]{1,8}\d?$/.test(content)) {
      // `error` (2.2) or `module:level` (2.4; `trace1`..`trace8` included)
      const colon = content.indexOf(':');
      level = colon >= 0 ? content.slice(colon + 1) : content;
      if (colon > 0) fields.labels = { ...context.base.labels, apache_module: content.slice(0, colon) };
    } else break;
    pos += bracket[0].length;
  }
  if (level === undefined) return { failure: 'no_match' };
  const message = text.slice(pos);
  fields.message = message;
  fields.log = { ...context.base.log, level };
  // Elastic types notice-level lines `info` and everything from warn up `error`.
  (fields.event as NonNullable<EcsEvent['event']>).type = [NOTICE_LEVELS.has(level) ? 'info' : 'error'];
  const missing = /^(?:AH00128: )?File does not exist: (\S{1,4096})/.exec(message);
  if (missing) fields.file = { path: missing[1] as string };
  return { event: mergeInto(context.base, fields, 'apache.error', 'apache') };
}

/**
 * Apache httpd access logs (common, combined, vhost_combined, X-Forwarded-For client lists) and
 * error logs (2.2 `[time] [level] [client ip]` and 2.4 `[time] [module:level] [pid n:tid m]
 * [client ip:port]`), mapped as Elastic's apache integration does (`apache.access`, `apache.error`).
 */
export const apacheParser: Parser = {
  id: 'apache',
  description: 'Apache httpd access (common, combined, vhost_combined) and error logs, 2.2 and 2.4 (Elastic apache.access / apache.error)',
  programs: ['apache', 'apache2', 'httpd'],
  timeResolution:
    'Access lines carry their own time with its offset ([24/Nov/2026:09:00:00 +0100]), used as is. Error lines ([Tue Nov 24 09:00:00.123456 2026]) carry no offset and are read in the source\'s configured zone.',
  matches(context: ParseContext): boolean {
    const text = context.text;
    if (text.length < 20) return false;
    if (text.charCodeAt(0) === 91 && text.charCodeAt(4) === 32 && text.charCodeAt(8) === 32) return true;
    const open = text.indexOf(' [');
    return open > 0 && open < 300 && text.charCodeAt(open + 4) === 47 && text.charCodeAt(open + 8) === 47;
  },
  parse(context: ParseContext): ParseResult {
    const text = context.text;
    if (text.charCodeAt(0) === 91) return parseError(context, text);
    const line = parseAccessLine(text);
    if (!line) return { failure: 'no_match' };
    return { event: mergeInto(context.base, line.fields, 'apache.access', 'apache') };
  },
};
