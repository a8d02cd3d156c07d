import { describe, expect, it } from 'vitest';
import type { RawRecord } from '../../../core/ingest/record.js';
import { createNormalizer } from '../../pipeline/normalize.js';
import { createRouter } from '../router.js';
import { squidParser } from './parser.js';

const normalize = createNormalizer(createRouter([squidParser]));

function parse(line: string, extra: Partial<RawRecord> = {}) {
  return normalize({ sourceId: 't', transport: 'file', data: Buffer.from(line), receivedAt: Date.parse('2026-11-24T12:00:00Z'), timezone: 'America/New_York', ...extra });
}

const LINE = '1795521001.318    187 10.1.4.22 TCP_MISS/200 18234 GET http://example.net/a.gz - HIER_DIRECT/198.51.100.80 application/x-gzip';

describe('squid parser', () => {
  it('reads a raw access.log line from a file; the epoch time ignores the configured zone', () => {
    const event = parse(LINE);
    expect(event.watchpost?.parse?.parser).toBe('squid');
    expect(event['@timestamp']).toBe('2026-11-24T11:50:01.318Z');
    expect(event.event?.duration).toBe(187_000_000);
    expect(event.destination?.ip).toBe('198.51.100.80');
  });

  it('reads lines without the optional content type', () => {
    const event = parse(LINE.replace(' application/x-gzip', ''));
    expect(event.http?.response).toEqual({ status_code: 200, bytes: 18234 });
  });

  it('tags a line whose status is not numeric', () => {
    expect(parse(LINE.replace('TCP_MISS/200', 'TCP_MISS/abc'), { transport: 'udp' }).watchpost?.parse?.failure).toBe('no_match');
  });

  it('tags JSON that does not parse', () => {
    expect(parse('{"service":{"type":"squid"},', { transport: 'udp' }).watchpost?.parse?.failure).toBe('bad_json');
  });

  it('leaves a non-squid line unclaimed', () => {
    expect(squidParser.matches({ text: 'Nov 24 11:00:00 host sshd[1]: hello', base: { '@timestamp': '' }, timezone: 'UTC', record: { sourceId: 't', transport: 'udp', data: Buffer.from(''), receivedAt: 0 } })).toBe(false);
  });
});
