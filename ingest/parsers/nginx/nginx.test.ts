import { describe, expect, it } from 'vitest';
import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';
import type { RawRecord } from '../../../core/ingest/record.js';
import type { ParseContext } from '../parser.js';
import { parseAccessLine, urlFields } from './combined-log.js';
import { nginxParser } from './parser.js';

function plain(text: string, timezone = 'UTC'): ParseContext {
  const record: RawRecord = { sourceId: 't', transport: 'file', data: Buffer.from(text), receivedAt: Date.parse('2026-11-24T12:00:00Z') };
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', message: text, ecs: { version: ECS_VERSION }, event: { original: text } };
  return { record, base, text, timezone };
}

function parsed(text: string, timezone?: string): EcsEvent {
  const result = nginxParser.parse(plain(text, timezone));
  if (!('event' in result)) throw new Error(result.failure);
  return result.event;
}

describe('nginx parser', () => {
  it('takes the access time with its own offset, whatever the configured zone', () => {
    expect(parsed('192.0.2.1 - - [01/Mar/2026:23:30:00 -0500] "GET / HTTP/1.1" 200 1 "-" "-"', 'Asia/Tokyo')['@timestamp']).toBe('2026-03-02T04:30:00.000Z');
  });

  it('reads error-log times in the configured zone', () => {
    expect(parsed('2026/07/01 12:00:00 [error] 1#1: *2 boom, client: 192.0.2.1, server: a', 'Europe/Paris')['@timestamp']).toBe('2026-07-01T10:00:00.000Z');
  });

  it('takes the first public address of a forwarded list as the client', () => {
    const line = parseAccessLine('10.0.0.2, 198.51.100.8, 10.0.0.1 - - [24/Nov/2026:09:00:00 +0000] "GET / HTTP/1.1" 200 1');
    expect(line?.fields.source).toEqual({ address: '198.51.100.8', ip: '198.51.100.8' });
    expect(line?.fields.network?.forwarded_ip).toBe('198.51.100.8');
  });

  it('sets outcome from the status as Elastic does, and no user for "-"', () => {
    const event = parsed('192.0.2.1 - - [24/Nov/2026:09:00:00 +0000] "GET /x HTTP/1.1" 399 1');
    expect(event.event?.outcome).toBe('success');
    expect(event.user).toBeUndefined();
    expect(parsed('192.0.2.1 - - [24/Nov/2026:09:00:00 +0000] "GET /x HTTP/1.1" 400 1').event?.outcome).toBe('failure');
  });

  it('splits absolute proxy URLs and leaves malformed escapes alone', () => {
    expect(urlFields('http://example.com:8080/a%zz/b.tar.GZ?q=1')).toEqual({
      original: 'http://example.com:8080/a%zz/b.tar.GZ?q=1',
      scheme: 'http',
      domain: 'example.com',
      port: 8080,
      path: '/a%zz/b.tar.GZ',
      query: 'q=1',
      extension: 'gz',
    });
  });

  it('refuses lines that are not nginx logs', () => {
    expect(nginxParser.parse(plain('hello [world] "x" 200 1'))).toEqual({ failure: 'no_match' });
    expect(nginxParser.parse(plain('192.0.2.1 - - [24/Nov/2026:09:00:00 +0000] "GET / HTTP/1.1" abc 1'))).toEqual({ failure: 'no_match' });
  });
});
