import { describe, expect, it } from 'vitest';
import type { RawRecord } from '../../../core/ingest/record.js';
import { createNormalizer } from '../../pipeline/normalize.js';
import { createRouter } from '../router.js';
import { iisParser } from './parser.js';

const normalize = createNormalizer(createRouter([iisParser]));

function parse(line: string, extra: Partial<RawRecord> = {}) {
  return normalize({ sourceId: 't', transport: 'file', data: Buffer.from(line), receivedAt: Date.parse('2026-11-24T12:00:00Z'), timezone: 'Asia/Tokyo', ...extra });
}

const LINE = '2026-11-24 09:15:02 10.0.5.20 GET /default.aspx - 443 - 198.51.100.14 Mozilla/5.0+(X11) - 200 0 0 46';

describe('iis parser', () => {
  it('reads W3C times as UTC whatever the configured zone', () => {
    const event = parse(LINE);
    expect(event.watchpost?.parse?.parser).toBe('iis');
    expect(event['@timestamp']).toBe('2026-11-24T09:15:02.000Z');
    expect(event.user_agent?.original).toBe('Mozilla/5.0 (X11)');
  });

  it.each(['#Software: Microsoft Internet Information Services 10.0', '#Version: 1.0', '#Date: 2026-11-24 00:00:00', '#Fields: date time s-ip cs-method cs-uri-stem'])('tags the directive %s', (line) => {
    const event = parse(line);
    expect(event.watchpost?.parse?.failure).toBe('w3c_directive');
    expect(event.event?.original).toBe(line);
  });

  it('refuses a line of a non-default field set', () => {
    expect(parse(`${LINE} extra-field1 extra-field2`, { format: 'iis' }).watchpost?.parse?.failure).toBe('w3c_field_count');
  });

  it('refuses an impossible date', () => {
    expect(parse(LINE.replace('2026-11-24', '2026-02-31')).watchpost?.parse?.failure).toBe('bad_timestamp');
  });

  it('refuses values out of place', () => {
    expect(parse(LINE.replace(' 443 ', ' https ')).watchpost?.parse?.failure).toBe('no_match');
  });
});

describe('iis pre-filter', () => {
  it('does not claim another program\'s date-prefixed line', () => {
    const text = '2026-11-24 09:15:02 INFO worker started with 4 threads';
    expect(iisParser.matches({ text, base: { '@timestamp': '' }, timezone: 'UTC', record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: 0 } })).toBe(false);
  });
});
