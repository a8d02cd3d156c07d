import { describe, expect, it } from 'vitest';
import { PARSE_FAILURE_TAG } from '../../core/ecs/fields.js';
import type { RawRecord } from '../../core/ingest/record.js';
import { normalizeRecord } from './normalize.js';

const base = { receivedAt: Date.UTC(2026, 10, 24, 10, 0, 0), timezone: 'UTC' };

function udp(text: string): RawRecord {
  return { ...base, sourceId: 'syslog-udp', transport: 'udp', data: Buffer.from(text), peer: '192.0.2.7:514', listener: '127.0.0.1:5514' };
}

describe('normalizeRecord', () => {
  it('decodes an RFC 5424 syslog frame without the failure tag', () => {
    const event = normalizeRecord(udp('<34>1 2026-11-24T10:00:00.123Z mymachine su - ID47 - su root failed on /dev/pts/8'));
    expect(event.tags ?? []).not.toContain(PARSE_FAILURE_TAG);
    expect(event['@timestamp']).toBe('2026-11-24T10:00:00.123Z');
    expect(event.event?.original).toContain('su root failed');
  });

  it('keeps a syslog frame with no recognisable header, tagged with the reason', () => {
    const event = normalizeRecord(udp('\u0000\u0001 not syslog at all'));
    expect(event.tags).toContain(PARSE_FAILURE_TAG);
    expect(event.watchpost?.parse?.failure).toBeTruthy();
    expect(event.event?.original).toContain('not syslog at all');
    expect(Date.parse(event['@timestamp'])).not.toBeNaN();
  });

  it('stores a plain file line as text, not as a failure', () => {
    const event = normalizeRecord({ ...base, sourceId: 'app-log', transport: 'file', data: Buffer.from('2026-11-24 10:00:00 INFO started'), file: '/var/log/app.log', offset: 0, key: 'fp:0' });
    expect(event.tags ?? []).not.toContain(PARSE_FAILURE_TAG);
    expect(event.message).toContain('INFO started');
  });

  it('fills the defaults of an HTTP event and flags an unparsable timestamp', () => {
    const good = normalizeRecord({ ...base, sourceId: 'http', transport: 'http', data: Buffer.from('{}'), event: { message: 'from zabbix', event: { kind: 'alert' } } });
    expect(good).toMatchObject({ message: 'from zabbix', event: { kind: 'alert' }, ecs: { version: expect.any(String) }, watchpost: { input: { id: 'http', transport: 'http' } } });
    expect(good['@timestamp']).toBe(new Date(base.receivedAt).toISOString());
    const bad = normalizeRecord({ ...base, sourceId: 'http', transport: 'http', data: Buffer.from('{"@timestamp":"yesterday"}') });
    expect(bad.tags).toContain(PARSE_FAILURE_TAG);
    expect(bad.watchpost?.parse?.failure).toBe('invalid_timestamp');
  });
});
