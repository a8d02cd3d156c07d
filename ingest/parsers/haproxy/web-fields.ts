import { isIP } from 'node:net';
import type { EcsEvent, EventOutcome } from '../../../core/ecs/event.js';

/**
 * Small helpers the web access parsers (haproxy, squid, iis) share: URL splitting, the outcome
 * of an HTTP status, strict integer parsing and endpoint building. Pure and non-throwing.
 */

/** ECS `url.*` as a web log line gives it. */
export type UrlFields = NonNullable<EcsEvent['url']>;

/**
 * A decimal integer (optionally signed, as HAProxy's `+` for logasap and `-1` for "never"), or
 * undefined. Bounded length so a 40-digit token is refused rather than rounded.
 */
export function parseInteger(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 15) return undefined;
  let start = 0;
  const first = text.charCodeAt(0);
  if (first === 43 || first === 45) start = 1;
  if (start === text.length) return undefined;
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return undefined;
  }
  return first === 43 ? Number(text.slice(1)) : Number(text);
}

/** `event.outcome` from an HTTP status: < 400 success, >= 400 failure (as Elastic's pipelines do). */
export function outcomeOfStatus(status: number | undefined): EventOutcome {
  if (status === undefined || status < 100) return 'unknown';
  return status < 400 ? 'success' : 'failure';
}

function extensionOf(path: string): string | undefined {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  if (dot <= slash + 1 || dot === path.length - 1) return undefined;
  return path.slice(dot + 1);
}

function splitPathQuery(target: string, url: UrlFields): void {
  const hash = target.indexOf('#');
  const withoutFragment = hash < 0 ? target : target.slice(0, hash);
  const question = withoutFragment.indexOf('?');
  const path = question < 0 ? withoutFragment : withoutFragment.slice(0, question);
  if (path.length > 0) {
    url.path = path;
    const extension = extensionOf(path);
    if (extension !== undefined) url.extension = extension;
  }
  // A trailing `?` gives an empty query, as Elastic's uri_parts does.
  if (question >= 0) url.query = withoutFragment.slice(question + 1);
}

function splitAuthority(authority: string, url: UrlFields): void {
  // Credentials never go to url.domain.
  const at = authority.lastIndexOf('@');
  const hostPort = at < 0 ? authority : authority.slice(at + 1);
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) return;
    url.domain = hostPort.slice(1, close);
    const port = hostPort.charCodeAt(close + 1) === 58 ? parseInteger(hostPort.slice(close + 2)) : undefined;
    if (port !== undefined && port >= 0 && port <= 65535) url.port = port;
    return;
  }
  const colon = hostPort.lastIndexOf(':');
  const host = colon < 0 ? hostPort : hostPort.slice(0, colon);
  if (host.length > 0) url.domain = host;
  if (colon >= 0) {
    const port = parseInteger(hostPort.slice(colon + 1));
    if (port !== undefined && port >= 0 && port <= 65535) url.port = port;
  }
}

/**
 * `url.*` from a request target as a web log writes it: an origin-form path (`/a/b.js?x=1`), an
 * absolute URL (`https://host:8443/p`, what proxies log) or a CONNECT authority (`host:443`).
 */
export function urlFields(original: string): UrlFields {
  const url: UrlFields = { original };
  if (original.length === 0 || original === '-') return url;
  if (original.charCodeAt(0) === 47) {
    splitPathQuery(original, url);
    return url;
  }
  const scheme = original.indexOf('://');
  if (scheme > 0 && scheme < 16) {
    url.scheme = original.slice(0, scheme).toLowerCase();
    const rest = original.slice(scheme + 3);
    let end = rest.length;
    for (let i = 0; i < rest.length; i++) {
      const code = rest.charCodeAt(i);
      if (code === 47 || code === 63 || code === 35) {
        end = i;
        break;
      }
    }
    splitAuthority(rest.slice(0, end), url);
    const target = rest.slice(end);
    // A target starting with `?` or `#` has no path; splitPathQuery then sets only the query.
    if (target.length > 0) splitPathQuery(target, url);
    return url;
  }
  // A CONNECT target is an authority with a port (`host:443`); a bare word (a bad request) is not.
  const colon = original.lastIndexOf(':');
  if (original.indexOf('/') < 0 && colon > 0 && parseInteger(original.slice(colon + 1)) !== undefined) splitAuthority(original, url);
  return url;
}

/** An ECS endpoint from an address and port: `address` always, `ip` when it is one, else `domain`. */
export function endpoint(address: string | undefined, port?: number): NonNullable<EcsEvent['source']> | undefined {
  const result: NonNullable<EcsEvent['source']> = {};
  if (address !== undefined && address.length > 0 && address !== '-') {
    result.address = address;
    if (isIP(address) !== 0) result.ip = address;
    else result.domain = address;
  }
  if (port !== undefined && port >= 0 && port <= 65535) result.port = port;
  return Object.keys(result).length > 0 ? result : undefined;
}

/** `ip:port`, `[v6]:port` or a bare IPv6 `a:b::c:port` split on the last colon. */
export function splitHostPort(text: string): { host: string; port?: number } {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close > 0) {
      const port = text.charCodeAt(close + 1) === 58 ? parseInteger(text.slice(close + 2)) : undefined;
      return { host: text.slice(1, close), ...(port === undefined ? {} : { port }) };
    }
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { host: text };
  const port = parseInteger(text.slice(colon + 1));
  return { host: text.slice(0, colon), ...(port === undefined ? {} : { port }) };
}

/** `related.ip` from the IPs an event names, deduplicated, in order. */
export function relatedIps(...ips: (string | undefined)[]): string[] {
  const seen: string[] = [];
  for (const ip of ips) if (ip !== undefined && isIP(ip) !== 0 && !seen.includes(ip)) seen.push(ip);
  return seen;
}
