import type { EcsEvent } from '../../../core/ecs/event.js';
import { toIso, zonedWallToUtc } from '../../syslog/timestamp.js';
import type { ParseContext, Parser, ParseResult } from '../parser.js';
import { endpoint, outcomeOfStatus, parseInteger, relatedIps, splitHostPort, urlFields } from './web-fields.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const NS_PER_MS = 1_000_000;

/** A cursor over space-separated tokens (HAProxy writes single spaces between fields). */
class Tokens {
  pos = 0;
  constructor(readonly text: string) {}

  next(): string | undefined {
    const text = this.text;
    while (this.pos < text.length && text.charCodeAt(this.pos) === 32) this.pos++;
    if (this.pos >= text.length) return undefined;
    const start = this.pos;
    const end = text.indexOf(' ', start);
    this.pos = end < 0 ? text.length : end;
    return text.slice(start, this.pos);
  }

  peek(): string | undefined {
    const saved = this.pos;
    const token = this.next();
    this.pos = saved;
    return token;
  }

  /** A `{...}` capture block, which may contain spaces; undefined (and no move) if none is next. */
  braces(): string | undefined {
    const text = this.text;
    let at = this.pos;
    while (at < text.length && text.charCodeAt(at) === 32) at++;
    if (text.charCodeAt(at) !== 123) return undefined;
    const close = text.indexOf('}', at);
    if (close < 0) return undefined;
    this.pos = close + 1;
    return text.slice(at + 1, close);
  }

  rest(): string {
    return this.text.slice(this.pos).trim();
  }
}

/** `30/Jul/2018:09:03:52.726` (HAProxy's accept date, local time of the HAProxy host) to ISO. */
function parseAcceptDate(text: string, zone: string): string | undefined {
  if (text.length < 20 || text[2] !== '/' || text[6] !== '/' || text[11] !== ':' || text[14] !== ':' || text[17] !== ':') return undefined;
  const day = parseInteger(text.slice(0, 2));
  const month = MONTHS.indexOf(text.slice(3, 6)) + 1;
  const year = parseInteger(text.slice(7, 11));
  const hour = parseInteger(text.slice(12, 14));
  const minute = parseInteger(text.slice(15, 17));
  const second = parseInteger(text.slice(18, 20));
  let millisecond = 0;
  if (text.length > 20) {
    if (text[20] !== '.' || text.length > 27) return undefined;
    // Keep milliseconds only (HAProxy 2.x %tr may print microseconds).
    const fraction = parseInteger(text.slice(21, 24).padEnd(3, '0'));
    if (fraction === undefined || fraction < 0) return undefined;
    millisecond = fraction;
  }
  if (day === undefined || year === undefined || hour === undefined || minute === undefined || second === undefined || month === 0) return undefined;
  if (day < 1 || day > 31 || year < 1970 || hour > 23 || minute > 59 || second > 60) return undefined;
  const instant = zonedWallToUtc({ year, month, day, hour, minute, second: Math.min(second, 59), millisecond }, zone);
  return instant === undefined ? undefined : toIso(instant);
}

/** Integers of a `a/b/c` field, or undefined if any part is not one or the count is not allowed. */
function slashNumbers(token: string | undefined, counts: readonly number[]): number[] | undefined {
  if (token === undefined) return undefined;
  const parts = token.split('/');
  if (!counts.includes(parts.length)) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    const value = parseInteger(part);
    if (value === undefined) return undefined;
    values.push(value);
  }
  return values;
}

function labelsOf(entries: Record<string, string | undefined>): Record<string, string> {
  const labels: Record<string, string> = {};
  // An empty capture block prints as `|||`: nothing was captured.
  for (const [key, value] of Object.entries(entries)) if (value !== undefined && value.replaceAll('|', '').length > 0) labels[key] = value;
  return labels;
}

/** `product/1...` at the start of a value: the first token of a User-Agent (RFC 9110 10.1.5). */
const PRODUCT_TOKEN = /^[A-Za-z][A-Za-z0-9._+!-]{0,63}\/[0-9]/;

/**
 * The User-Agent among the captured request headers (`{h1|h2|...}`, in the order of the
 * `capture request header` lines), or undefined. The log does not name the headers, so the UA is
 * the one value that starts with a product token whose version begins with a digit (`Mozilla/5.0
 * (...)`, `curl/8.5.0`, `sqlmap/1.8`); Host, Referer, X-Forwarded-For, Accept (`text/html`) and
 * cookies never do. Two such values are ambiguous and give none. A UA without a versioned product
 * (`Nmap Scripting Engine`) is not recognised; it stays in the label. HAProxy writes `"`, `#`,
 * `{`, `|`, `}` and control bytes as `#XX`: decoded here, so rules see the header as sent.
 */
export function capturedUserAgent(captured: string | undefined): string | undefined {
  if (captured === undefined || captured.length === 0) return undefined;
  let found: string | undefined;
  for (const value of captured.split('|')) {
    if (!PRODUCT_TOKEN.test(value)) continue;
    if (found !== undefined) return undefined;
    found = value;
  }
  return found === undefined || !found.includes('#') ? found : found.replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

function base(context: ParseContext, timestamp: string): EcsEvent {
  return {
    ...context.base,
    '@timestamp': timestamp,
    event: { ...context.base.event, kind: 'event', module: 'haproxy', dataset: 'haproxy.log' },
  };
}

/** `Connect from 10.0.1.2:33312 to 10.0.3.31:8012 (www/HTTP)`: the default (no `option *log`) format. */
function parseDefault(context: ParseContext): ParseResult {
  const match = /^Connect from (\S+) to (\S+) \(([^/)\s]+)\/([^)\s]+)\)\s*$/.exec(context.text);
  if (!match) return { failure: 'no_match' };
  const [, from = '', to = '', frontend, mode = ''] = match;
  const client = splitHostPort(from);
  const server = splitHostPort(to);
  const event = base(context, context.base['@timestamp']);
  event.event = { ...event.event, category: ['network'], type: ['connection', 'start'], action: 'connect' };
  const source = endpoint(client.host, client.port);
  const destination = endpoint(server.host, server.port);
  if (source) event.source = source;
  if (destination) event.destination = destination;
  event.network = { transport: 'tcp', ...(mode.toUpperCase() === 'HTTP' ? { protocol: 'http' } : {}) };
  event.labels = { ...context.base.labels, ...labelsOf({ haproxy_frontend: frontend, haproxy_mode: mode.toLowerCase() }) };
  const related = relatedIps(source?.ip, destination?.ip);
  if (related.length > 0) event.related = { ...context.base.related, ip: related };
  return { event };
}

/**
 * HAProxy's log lines: the HTTP log format (`option httplog`), the TCP log format
 * (`option tcplog`), the error format (`frontend/bind: message`, e.g. SSL handshake failures) and
 * the default `Connect from` format. Timers go to `event.duration` (Tt, in ns); names of
 * frontend, backend and server, the termination state and the capture blocks have no ECS place and
 * go to `labels.haproxy_*`. A User-Agent captured with `capture request header User-Agent` also
 * goes to `user_agent.original` when it can be told from the other captures by its shape (see
 * {@link capturedUserAgent}); a setting per source naming the UA's position was not chosen, as it
 * would break silently when the capture lines are reordered. Custom `log-format` lines are not
 * recognised (`no_match`).
 */
export const haproxyParser: Parser = {
  id: 'haproxy',
  description: 'HAProxy HTTP, TCP, error and default log formats',
  programs: ['haproxy'],
  timeResolution:
    'The accept date `[dd/Mon/yyyy:HH:MM:SS.mmm]` carries the year but no zone: it is the HAProxy host\'s local time, read in the source\'s configured timezone. The default `Connect from` format has no date of its own: the syslog header (or receive time) stands.',
  matches(context) {
    const text = context.text;
    if (text.startsWith('Connect from ')) return true;
    // `client:port [dd/Mon/`: the date is the second token (in Apache/nginx lines it is the fourth).
    const bracket = text.indexOf(' [');
    return (
      bracket > 0 && bracket < 64 && text.indexOf(' ') === bracket && text.lastIndexOf(':', bracket) > 0 && text.charCodeAt(bracket + 4) === 47 && text.charCodeAt(bracket + 8) === 47
    );
  },
  parse(context) {
    const text = context.text;
    if (text.startsWith('Connect from ')) return parseDefault(context);
    const tokens = new Tokens(text);
    const clientToken = tokens.next();
    const dateToken = tokens.next();
    if (clientToken === undefined || dateToken === undefined || !dateToken.startsWith('[') || !dateToken.endsWith(']')) return { failure: 'no_match' };
    const timestamp = parseAcceptDate(dateToken.slice(1, -1), context.timezone);
    if (timestamp === undefined) return { failure: 'bad_timestamp' };
    const client = splitHostPort(clientToken);
    const event = base(context, timestamp);
    // `-:port` is a client HAProxy could not name (a unix socket or hidden address): keep the port.
    const source = endpoint(client.host === '-' ? undefined : client.host, client.port);
    if (source) event.source = source;
    const related = relatedIps(source?.ip);
    if (related.length > 0) event.related = { ...context.base.related, ip: related };

    const frontend = tokens.next();
    if (frontend === undefined) return { failure: 'no_match' };
    if (frontend.endsWith(':')) {
      // Error format: `frontend/bind: message`.
      const slash = frontend.indexOf('/');
      const message = tokens.rest();
      event.event = { ...event.event, category: ['network'], type: ['connection', 'error'], outcome: 'failure', reason: message };
      if (message.length > 0) event.error = { message };
      event.labels = {
        ...context.base.labels,
        ...labelsOf({ haproxy_frontend: slash < 0 ? frontend.slice(0, -1) : frontend.slice(0, slash), haproxy_bind: slash < 0 ? undefined : frontend.slice(slash + 1, -1) }),
      };
      return { event };
    }
    const backendServer = tokens.next();
    if (backendServer === undefined) return { failure: 'no_match' };
    const slash = backendServer.indexOf('/');
    const backend = slash < 0 ? backendServer : backendServer.slice(0, slash);
    const server = slash < 0 ? undefined : backendServer.slice(slash + 1);
    let timersToken = tokens.next();
    let destinationAddress: string | undefined;
    // Some configurations log the server or Host between backend/server and the timers (Elastic
    // maps it to destination.address).
    if (timersToken !== undefined && !timersToken.includes('/')) {
      destinationAddress = timersToken;
      timersToken = tokens.next();
    }
    const timers = slashNumbers(timersToken, [3, 4, 5]);
    if (timers === undefined) return { failure: 'no_match' };
    const total = timers[timers.length - 1];
    if (total !== undefined && total >= 0) event.event = { ...event.event, duration: total * NS_PER_MS };
    if (destinationAddress !== undefined) {
      const destination = endpoint(destinationAddress);
      if (destination) event.destination = destination;
    }

    if (timers.length === 3) {
      // TCP log: bytes_read termination_state conns queues.
      const bytes = parseInteger(tokens.next());
      const termination = tokens.next();
      const connections = slashNumbers(tokens.next(), [5]);
      const queues = slashNumbers(tokens.next(), [2]);
      if (bytes === undefined || termination === undefined || connections === undefined || queues === undefined) return { failure: 'no_match' };
      event.event = { ...event.event, category: ['network'], type: ['connection'] };
      event.network = { transport: 'tcp' };
      // Bytes sent from the server to the client.
      if (bytes >= 0) event.destination = { ...event.destination, bytes };
      event.labels = { ...context.base.labels, ...labelsOf({ haproxy_frontend: frontend, haproxy_backend: backend, haproxy_server: server, haproxy_termination_state: termination }) };
      return { event };
    }

    // HTTP log: status bytes cookie_req cookie_resp termination conns queues {req} {resp} "request".
    const status = parseInteger(tokens.next());
    const bytes = parseInteger(tokens.next());
    const cookieRequest = tokens.next();
    const cookieResponse = tokens.next();
    const termination = tokens.next();
    const connections = slashNumbers(tokens.next(), [5]);
    const queues = slashNumbers(tokens.next(), [2]);
    if (status === undefined || bytes === undefined || cookieResponse === undefined || termination === undefined || connections === undefined || queues === undefined) {
      return { failure: 'no_match' };
    }
    const capturedRequest = tokens.braces();
    const capturedResponse = capturedRequest === undefined ? undefined : tokens.braces();
    let request = tokens.rest();
    if (request.startsWith('"')) request = request.slice(1, request.endsWith('"') && request.length > 1 ? -1 : undefined);
    event.event = { ...event.event, category: ['web'], type: ['access'] };
    if (status >= 0) {
      event.event.outcome = outcomeOfStatus(status);
    }
    const http: NonNullable<EcsEvent['http']> = { response: { ...(status >= 0 ? { status_code: status } : {}), ...(bytes >= 0 ? { bytes } : {}) } };
    // `METHOD target HTTP/x.y`; `<BADREQ>` and truncated lines keep what is there.
    const parts = request.split(' ');
    if (parts.length >= 2 && parts.length <= 3 && /^[A-Z][A-Z_-]{0,31}$/.test(parts[0] ?? '')) {
      http.request = { method: parts[0] };
      event.url = urlFields(parts[1] ?? '');
      const version = parts[2];
      if (version?.startsWith('HTTP/')) http.version = version.slice(5);
    }
    event.http = http;
    event.labels = {
      ...context.base.labels,
      ...labelsOf({
        haproxy_frontend: frontend,
        haproxy_backend: backend,
        haproxy_server: server,
        haproxy_termination_state: termination,
        haproxy_captured_request_headers: capturedRequest,
        haproxy_captured_response_headers: capturedResponse,
        haproxy_captured_request_cookie: cookieRequest === '-' ? undefined : cookieRequest,
        haproxy_captured_response_cookie: cookieResponse === '-' ? undefined : cookieResponse,
      }),
    };
    const userAgent = capturedUserAgent(capturedRequest);
    if (userAgent !== undefined) event.user_agent = { original: userAgent };
    return { event };
  },
};
