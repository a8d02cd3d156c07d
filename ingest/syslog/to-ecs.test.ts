import { describe, expect, it } from 'vitest';
import { ECS_VERSION } from '../../core/ecs/event.js';
import type { RawRecord } from '../../core/ingest/record.js';
import { parseSyslog } from './parse.js';
import { peerAddress, plainEvent, syslogEvent, TRUNCATED_TAG } from './to-ecs.js';

const RECEIVED = Date.parse('2026-11-24T10:00:00.000Z');

function udp(text: string, extra: Partial<RawRecord> = {}): RawRecord {
  return { sourceId: 'syslog-udp', transport: 'udp', data: Buffer.from(text, 'utf8'), receivedAt: RECEIVED, peer: '192.0.2.10:51514', listener: '127.0.0.1:5514', ...extra };
}

function eventOf(record: RawRecord) {
  return syslogEvent(record, parseSyslog(record.data, { receivedAt: record.receivedAt, timezone: 'UTC' }));
}

describe('syslogEvent', () => {
  it('maps an RFC 5424 message to ECS', () => {
    const record = udp('<165>1 2026-11-24T09:14:15.003Z fw01 evntslog 8710 ID47 [ex@32473 iut="3"] An event');
    expect(eventOf(record)).toEqual({
      '@timestamp': '2026-11-24T09:14:15.003Z',
      message: 'An event',
      ecs: { version: ECS_VERSION },
      event: { kind: 'event', original: '<165>1 2026-11-24T09:14:15.003Z fw01 evntslog 8710 ID47 [ex@32473 iut="3"] An event', created: '2026-11-24T10:00:00.000Z' },
      log: {
        level: 'notice',
        source: { address: '192.0.2.10' },
        syslog: {
          priority: 165,
          facility: { code: 20, name: 'local4' },
          severity: { code: 5, name: 'notice' },
          hostname: 'fw01',
          appname: 'evntslog',
          procid: '8710',
          msgid: 'ID47',
          version: '1',
          structured_data: { 'ex@32473': { iut: '3' } },
        },
      },
      host: { hostname: 'fw01', name: 'fw01' },
      observer: { hostname: 'fw01' },
      process: { name: 'evntslog', pid: 8710 },
      watchpost: { input: { id: 'syslog-udp', transport: 'udp', peer: '192.0.2.10:51514', listener: '127.0.0.1:5514' } },
    });
  });

  it('falls back to the receive time and the sender address', () => {
    const event = eventOf(udp('<13>su: no header', { peer: '[2001:db8::1]:514' }));
    expect(event['@timestamp']).toBe('2026-11-24T10:00:00.000Z');
    expect(event.host).toEqual({ hostname: '2001:db8::1', name: '2001:db8::1' });
    expect(event.log?.source).toEqual({ address: '2001:db8::1' });
    expect(event.observer).toBeUndefined();
    expect(event.source).toBeUndefined();
    expect(event.process).toEqual({ name: 'su' });
  });

  it('names every facility and severity as ECS spells them', () => {
    const facilities: string[] = [];
    const severities: string[] = [];
    for (let facility = 0; facility < 24; facility++) {
      const event = eventOf(udp(`<${facility * 8 + (facility % 8)}>Nov 24 09:00:00 h a: x`));
      facilities.push(event.log?.syslog?.facility?.name ?? '?');
      severities.push(event.log?.level ?? '?');
    }
    expect(facilities).toEqual([
      'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console',
      'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
    ]);
    expect(severities.slice(0, 8)).toEqual(['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug']);
  });

  it('tags a truncated record', () => {
    const event = eventOf(udp('<14>Nov 24 09:00:00 h a: cut he', { truncated: true }));
    expect(event.tags).toEqual([TRUNCATED_TAG]);
    expect(event.watchpost?.parse).toEqual({ truncated: true, anomalies: ['yearless_timestamp'] });
  });

  it('keeps a non-numeric procid out of process.pid', () => {
    const event = eventOf(udp('<14>1 - h app worker-3 - - x'));
    expect(event.log?.syslog?.procid).toBe('worker-3');
    expect(event.process).toEqual({ name: 'app' });
  });

  it('writes a file-sourced syslog line with its path and offset', () => {
    const record: RawRecord = { sourceId: 'auth-log', transport: 'file', data: Buffer.from('Nov 24 09:30:01 web01 sshd[1]: hi'), receivedAt: RECEIVED, file: '/var/log/auth.log', offset: 4096 };
    const event = eventOf(record);
    expect(event.log).toMatchObject({ file: { path: '/var/log/auth.log' }, offset: 4096, syslog: { hostname: 'web01', appname: 'sshd', procid: '1' } });
    expect(event.log?.syslog?.priority).toBeUndefined();
    expect(event.log?.level).toBeUndefined();
    expect(event.process).toEqual({ name: 'sshd', pid: 1 });
  });

  it('sets no event id (the pipeline does)', () => {
    expect(eventOf(udp('<14>Nov 24 09:00:00 h a: x')).event?.id).toBeUndefined();
  });
});

describe('plainEvent', () => {
  it('stores a non-syslog file line as it is', () => {
    const line = '192.0.2.1 - - [24/Nov/2026:09:00:00 +0100] "GET / HTTP/1.1" 200 12';
    const record: RawRecord = { sourceId: 'nginx', transport: 'file', data: Buffer.from(line), receivedAt: RECEIVED, file: '/var/log/nginx/access.log', offset: 0 };
    expect(plainEvent(record, line)).toEqual({
      '@timestamp': '2026-11-24T10:00:00.000Z',
      message: line,
      ecs: { version: ECS_VERSION },
      event: { kind: 'event', original: line, created: '2026-11-24T10:00:00.000Z' },
      log: { file: { path: '/var/log/nginx/access.log' }, offset: 0 },
      watchpost: { input: { id: 'nginx', transport: 'file' } },
    });
  });
});

describe('peerAddress', () => {
  it.each([
    ['192.0.2.1:514', '192.0.2.1'],
    ['[2001:db8::1]:514', '2001:db8::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['192.0.2.1', '192.0.2.1'],
  ])('%s', (peer, address) => {
    expect(peerAddress(peer)).toBe(address);
  });
});
