import { isIP } from 'node:net';
import type { EcsEvent } from '../../../core/ecs/event.js';
import { toIso, zonedWallToUtc } from '../../syslog/timestamp.js';
import type { ParseContext, Parser, ParseResult } from '../parser.js';
import { parseAccessLine, requestFields } from './combined-log.js';

/** Merges what a line says into the transport's event (its host, log.*, event.original stay). */
export function mergeInto(base: EcsEvent, fields: EcsEvent, dataset: string, module: string): EcsEvent {
  // Object.assign over spreads: base and fields come in many shapes, which makes spread's inline
  // cache megamorphic and was a third of the parse time.
  const event = Object.assign({}, base, fields);
  event.event = Object.assign({}, base.event, fields.event);
  event.event.dataset = dataset;
  event.event.module = module;
  if (fields.process && base.process) event.process = Object.assign({}, base.process, fields.process);
  return event;
}

// `2016/10/25 14:49:34 [error] 54053#0: *1 message`; the connection id is absent on process-level lines.
const ERROR_HEAD = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) \[([a-z]{1,8})\] (\d{1,10})#(\d{1,10}): (?:\*(\d{1,19}) )?/;

/** The `, client: ..., server: ..., request: "...", host: "..."` trailer of an error message. */
function errorContext(message: string): Map<string, string> {
  const pairs = new Map<string, string>();
  const start = message.indexOf(', client: ');
  if (start < 0) return pairs;
  let pos = start + 2;
  while (pos < message.length) {
    const colon = message.indexOf(': ', pos);
    if (colon < 0 || colon - pos > 32) break;
    const key = message.slice(pos, colon);
    let value: string;
    let next: number;
    if (message.charCodeAt(colon + 2) === 34) {
      const close = message.indexOf('"', colon + 3);
      if (close < 0) break;
      value = message.slice(colon + 3, close);
      next = close + 1;
    } else {
      const comma = message.indexOf(',', colon + 2);
      next = comma < 0 ? message.length : comma;
      value = message.slice(colon + 2, next);
    }
    pairs.set(key, value);
    if (message.startsWith(', ', next)) pos = next + 2;
    else break;
  }
  return pairs;
}

function parseError(context: ParseContext, text: string): ParseResult {
  const head = ERROR_HEAD.exec(text);
  if (!head) return { failure: 'no_match' };
  const [year, month, day, hour, minute, second] = head.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return { failure: 'bad_timestamp' };
  // The error log is written in the server's local time without an offset: read it in the source's zone.
  const instant = zonedWallToUtc({ year, month, day, hour, minute, second: Math.min(second, 59), millisecond: 0 }, context.timezone);
  const timestamp = instant === undefined ? undefined : toIso(instant);
  if (timestamp === undefined) return { failure: 'bad_timestamp' };
  const level = head[7] as string;
  const message = text.slice(head[0].length);
  const fields: EcsEvent = {
    '@timestamp': timestamp,
    message,
    // Elastic types every error-log line `error`; notice/info/debug lines are not errors.
    event: { kind: 'event', category: ['web'], type: [level === 'notice' || level === 'info' || level === 'debug' ? 'info' : 'error'] },
    log: { ...context.base.log, level },
    process: { pid: Number(head[8]), thread: { id: Number(head[9]) } },
  };
  if (head[10] !== undefined) fields.labels = { ...context.base.labels, connection_id: head[10] };
  const pairs = errorContext(message.split('\n', 1)[0] as string);
  const client = pairs.get('client');
  if (client !== undefined && isIP(client) !== 0) {
    // Elastic puts the peer in client.ip; source.* is where Watchpost's rules look for it.
    fields.client = { ip: client };
    fields.source = { address: client, ip: client };
    fields.related = { ip: [client] };
  }
  const server = pairs.get('server');
  if (server !== undefined && server.length > 0) {
    // `server:` is the server_name, or the listen address when no name matched (`0.0.0.0:443`).
    const colon = server.lastIndexOf(':');
    const host = colon > 0 && /^\d{1,5}$/.test(server.slice(colon + 1)) ? server.slice(0, colon) : server;
    fields.server = isIP(host) !== 0 ? { address: server, ip: host, ...(host === server ? {} : { port: Number(server.slice(colon + 1)) }) } : { domain: server };
  }
  const request = pairs.get('request');
  if (request !== undefined) requestFields(request, fields);
  const referrer = pairs.get('referrer');
  if (referrer !== undefined && fields.http) fields.http.request = { ...fields.http.request, referrer };
  const host = pairs.get('host');
  if (host !== undefined && fields.url) fields.url.domain = host.replace(/:\d{1,5}$/, '');
  return { event: mergeInto(context.base, fields, 'nginx.error', 'nginx') };
}

/**
 * nginx access logs (the default `combined` format and its common variants: `$host` or
 * `$server_name` first, X-Forwarded-For lists, request-time and upstream suffixes) and error logs,
 * mapped as Elastic's nginx integration does (`nginx.access`, `nginx.error`).
 */
export const nginxParser: Parser = {
  id: 'nginx',
  description: 'nginx access (combined and vhost variants) and error logs (Elastic nginx.access / nginx.error)',
  programs: ['nginx'],
  timeResolution:
    'Access lines carry their own time with its offset ([24/Nov/2026:09:00:00 +0100]), used as is. Error lines (YYYY/MM/DD HH:MM:SS) carry no offset and are read in the source\'s configured zone.',
  matches(context: ParseContext): boolean {
    const text = context.text;
    if (text.length < 20) return false;
    const first = text.charCodeAt(0);
    // An error line starts with its date; an access line has `[dd/Mon/yyyy:` early.
    if (first >= 48 && first <= 57 && text.charCodeAt(4) === 47 && text.charCodeAt(7) === 47) return true;
    const open = text.indexOf(' [');
    return open > 0 && open < 300 && text.charCodeAt(open + 4) === 47 && text.charCodeAt(open + 8) === 47;
  },
  parse(context: ParseContext): ParseResult {
    const text = context.text;
    const first = text.charCodeAt(0);
    if (first >= 48 && first <= 57 && text.charCodeAt(4) === 47) {
      const error = parseError(context, text);
      if ('event' in error) return error;
    }
    const line = parseAccessLine(text);
    if (!line) return { failure: 'no_match' };
    return { event: mergeInto(context.base, line.fields, 'nginx.access', 'nginx') };
  },
};
