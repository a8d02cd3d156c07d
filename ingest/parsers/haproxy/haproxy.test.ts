import { describe, expect, it } from 'vitest';
import type { RawRecord } from '../../../core/ingest/record.js';
import { createNormalizer } from '../../pipeline/normalize.js';
import { createRouter } from '../router.js';
import { capturedUserAgent, haproxyParser } from './parser.js';
import { outcomeOfStatus, urlFields } from './web-fields.js';

const normalize = createNormalizer(createRouter([haproxyParser]));

function parse(line: string, extra: Partial<RawRecord> = {}) {
  return normalize({ sourceId: 't', transport: 'udp', data: Buffer.from(line), receivedAt: Date.parse('2026-11-24T12:00:00Z'), timezone: 'UTC', ...extra });
}

const HTTP = '<134>Nov 24 11:58:01 lb-01 haproxy[2210]: 203.0.113.45:51522 [24/Nov/2026:11:58:01.117] web-in~ shop/app3 0/0/2/41/44 200 5321 - - ---- 12/12/3/1/0 0/0 "GET /a.js HTTP/1.1"';

describe('haproxy parser', () => {
  it('routes by program and reads the accept date in the configured zone', () => {
    const event = parse(HTTP, { timezone: 'Europe/Paris' });
    expect(event.watchpost?.parse?.parser).toBe('haproxy');
    expect(event['@timestamp']).toBe('2026-11-24T10:58:01.117Z');
    expect(event.event?.duration).toBe(44_000_000);
    expect(event.http?.response?.status_code).toBe(200);
  });

  it('claims a line by its shape without a syslog program', () => {
    const line = HTTP.replace('haproxy[2210]', 'lb[1]');
    expect(parse(line).watchpost?.parse?.parser).toBe('haproxy');
  });

  it('tags, not drops, a line with an impossible accept date', () => {
    const event = parse(HTTP.replace('24/Nov/2026', '24/Foo/2026'));
    expect(event.watchpost?.parse?.failure).toBe('bad_timestamp');
    expect(event.event?.original).toContain('24/Foo/2026');
  });

  it('refuses a custom log-format line', () => {
    const event = parse('<134>Nov 24 11:58:01 lb-01 haproxy[2210]: 10.0.0.1:1 [24/Nov/2026:11:58:01.117] fe be/srv custom stuff');
    expect(event.watchpost?.parse?.failure).toBe('no_match');
  });

  it('leaves event.duration out when Tt is -1', () => {
    const event = parse(HTTP.replace('0/0/2/41/44', '0/0/2/-1/-1'));
    expect(event.event?.duration).toBeUndefined();
  });
});

describe('captured User-Agent', () => {
  it('is the one capture that starts with a versioned product token', () => {
    expect(capturedUserAgent('shop.example.com|Mozilla/5.0 (X11; Linux x86_64)|https://shop.example.com/')).toBe('Mozilla/5.0 (X11; Linux x86_64)');
    expect(capturedUserAgent('python-requests/2.32.3')).toBe('python-requests/2.32.3');
  });

  it('is none when no capture or several look like one', () => {
    expect(capturedUserAgent('shop.example.com|text/html|198.51.100.2')).toBeUndefined();
    expect(capturedUserAgent('okhttp/4.12.0|curl/8.5.0')).toBeUndefined();
    expect(capturedUserAgent('Nmap Scripting Engine')).toBeUndefined();
    expect(capturedUserAgent('|')).toBeUndefined();
    expect(capturedUserAgent(undefined)).toBeUndefined();
  });

  it("decodes HAProxy's #XX escapes in the value", () => {
    expect(capturedUserAgent('h|Wget/1.21 #7B#22x#22#7D #ZZ')).toBe('Wget/1.21 {"x"} #ZZ');
  });

  it('reaches user_agent.original from an httplog line', () => {
    const event = parse(HTTP.replace('0/0 "GET', '0/0 {h.example|sqlmap/1.8#23stable} "GET'));
    expect(event.user_agent?.original).toBe('sqlmap/1.8#stable');
    expect(event.labels?.haproxy_captured_request_headers).toBe('h.example|sqlmap/1.8#23stable');
    expect(parse(HTTP).user_agent).toBeUndefined();
  });
});

describe('web field helpers', () => {
  it('split absolute, origin-form and CONNECT targets', () => {
    expect(urlFields('https://user@h.example:8443/x/y.tar.gz?q=1#f')).toEqual({
      original: 'https://user@h.example:8443/x/y.tar.gz?q=1#f',
      scheme: 'https',
      domain: 'h.example',
      port: 8443,
      path: '/x/y.tar.gz',
      extension: 'gz',
      query: 'q=1',
    });
    expect(urlFields('/dir.d/file')).toEqual({ original: '/dir.d/file', path: '/dir.d/file' });
    expect(urlFields('h.example:443')).toEqual({ original: 'h.example:443', domain: 'h.example', port: 443 });
    expect(urlFields('http://h.example?x=1')).toEqual({ original: 'http://h.example?x=1', scheme: 'http', domain: 'h.example', query: 'x=1' });
  });

  it('map statuses to outcomes', () => {
    expect([outcomeOfStatus(200), outcomeOfStatus(304), outcomeOfStatus(404), outcomeOfStatus(0)]).toEqual(['success', 'success', 'failure', 'unknown']);
  });
});

describe('haproxy pre-filter', () => {
  it('does not claim an nginx access line', () => {
    const text = '203.0.113.9 - - [24/Nov/2026:11:58:01 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.4.0"';
    expect(haproxyParser.matches({ text, base: { '@timestamp': '' }, timezone: 'UTC', record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: 0 } })).toBe(false);
  });
});
