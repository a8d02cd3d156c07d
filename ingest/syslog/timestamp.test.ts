import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSyslog } from './parse.js';
import { inferYear, scanBsdTimestamp, scanIsoTimestamp, toIso, zoneOffsetAt, zonedWallToUtc } from './timestamp.js';

const wall = (year: number, month: number, day: number, hour: number, minute = 0, second = 0) => ({ year, month, day, hour, minute, second, millisecond: 0 });
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('zonedWallToUtc', () => {
  it('applies summer and winter offsets of an IANA zone', () => {
    expect(iso(zonedWallToUtc(wall(2026, 7, 1, 12), 'Europe/Berlin'))).toBe('2026-07-01T10:00:00.000Z');
    expect(iso(zonedWallToUtc(wall(2026, 1, 15, 12), 'Europe/Berlin'))).toBe('2026-01-15T11:00:00.000Z');
    expect(iso(zonedWallToUtc(wall(2026, 1, 15, 12), 'Australia/Sydney'))).toBe('2026-01-15T01:00:00.000Z');
    expect(iso(zonedWallToUtc(wall(2026, 7, 15, 12), 'America/Los_Angeles'))).toBe('2026-07-15T19:00:00.000Z');
    expect(iso(zonedWallToUtc(wall(2026, 7, 15, 12), 'Asia/Kolkata'))).toBe('2026-07-15T06:30:00.000Z');
  });

  it('reads a time skipped by the spring-forward jump with the offset before it', () => {
    // 29 Mar 2026 02:30 does not exist in Berlin; it is taken as 03:30 CEST.
    expect(iso(zonedWallToUtc(wall(2026, 3, 29, 2, 30), 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(zonedWallToUtc(wall(2026, 3, 29, 1, 59), 'Europe/Berlin'))).toBe('2026-03-29T00:59:00.000Z');
    expect(iso(zonedWallToUtc(wall(2026, 3, 29, 3, 0), 'Europe/Berlin'))).toBe('2026-03-29T01:00:00.000Z');
  });

  it('takes the first occurrence of a time repeated by the fall-back jump', () => {
    expect(iso(zonedWallToUtc(wall(2026, 10, 25, 2, 30), 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(zonedWallToUtc(wall(2026, 10, 25, 3, 30), 'Europe/Berlin'))).toBe('2026-10-25T02:30:00.000Z');
  });

  it('accepts fixed offsets and UTC, and rejects unknown zones', () => {
    expect(iso(zonedWallToUtc(wall(2026, 1, 1, 12), '+05:30'))).toBe('2026-01-01T06:30:00.000Z');
    expect(iso(zonedWallToUtc(wall(2026, 1, 1, 12), 'UTC'))).toBe('2026-01-01T12:00:00.000Z');
    expect(zonedWallToUtc(wall(2026, 1, 1, 12), 'Mars/Olympus_Mons')).toBeUndefined();
    expect(zoneOffsetAt('Mars/Olympus_Mons', 0)).toBeUndefined();
  });
});

describe('zoneOffsetAt', () => {
  // An uncached oracle: the zone's wall clock at t read back as UTC, minus t.
  function oracle(zone: string, t: number): number {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(t);
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(t / 1000) * 1000;
  }

  it.each([
    ['Europe/Berlin', '2026-03-29T00:00:00Z'],
    ['Europe/Berlin', '2026-10-25T00:00:00Z'],
    ['America/New_York', '2026-11-01T05:00:00Z'],
    ['Australia/Lord_Howe', '2026-04-04T14:00:00Z'],
    ['Asia/Kathmandu', '2026-06-01T00:00:00Z'],
  ])('agrees with Intl minute by minute around %s %s', (zone, from) => {
    const start = Date.parse(from);
    for (let t = start; t < start + 3 * 3_600_000; t += 60_000 + 7_000) {
      expect(zoneOffsetAt(zone, t)).toBe(oracle(zone, t));
    }
  });
});

describe('Intl caching', () => {
  afterEach(() => vi.restoreAllMocks());

  it('constructs one formatter per zone, not one per message', () => {
    const spy = vi.spyOn(Intl, 'DateTimeFormat');
    for (let i = 0; i < 500; i++) {
      parseSyslog(`<14>Nov 24 09:${String(i % 60).padStart(2, '0')}:00 host app: x`, { receivedAt: Date.UTC(2026, 10, 24, 9) + i * 3_600_000, timezone: 'America/Lima' });
    }
    expect(spy.mock.calls.length).toBe(1);
  });
});

describe('inferYear (year-less timestamps)', () => {
  it('puts a 31 Dec message received on 1 Jan in the previous year', () => {
    expect(inferYear(12, 31, 23, 59, 59, 'UTC', Date.parse('2027-01-01T00:00:05Z'))).toBe(2026);
  });

  it('puts a 1 Jan message received on 31 Dec (sender clock ahead) in the next year', () => {
    expect(inferYear(1, 1, 0, 0, 1, 'UTC', Date.parse('2026-12-31T23:59:58Z'))).toBe(2027);
  });

  it('reads an old line (a file read from its beginning) as this year, not next', () => {
    expect(inferYear(2, 18, 16, 1, 59, 'UTC', Date.parse('2026-11-24T10:00:00Z'))).toBe(2026);
    expect(inferYear(12, 1, 0, 0, 0, 'UTC', Date.parse('2026-11-24T10:00:00Z'))).toBe(2026);
  });

  it('decides the year in the sender zone, not in UTC', () => {
    // 04:40 UTC on 1 Jan 2027 is still 31 Dec 2026 in New York.
    const received = Date.parse('2027-01-01T04:40:00Z');
    const message = parseSyslog('<14>Dec 31 23:30:00 host app: x', { receivedAt: received, timezone: 'America/New_York' });
    expect(message.timestamp).toBe('2027-01-01T04:30:00.000Z');
    // 15:20 UTC on 31 Dec 2026 is already 1 Jan 2027 in Tokyo.
    const tokyo = parseSyslog('<14>Jan  1 00:10:00 host app: x', { receivedAt: Date.parse('2026-12-31T15:20:00Z'), timezone: 'Asia/Tokyo' });
    expect(tokyo.timestamp).toBe('2026-12-31T15:10:00.000Z');
  });

  it('finds a leap year for 29 Feb, or gives up', () => {
    expect(inferYear(2, 29, 12, 0, 0, 'UTC', Date.parse('2028-03-01T00:00:00Z'))).toBe(2028);
    expect(inferYear(2, 29, 12, 0, 0, 'UTC', Date.parse('2027-03-01T00:00:00Z'))).toBeUndefined();
    const message = parseSyslog('<14>Feb 29 12:00:00 host app: x', { receivedAt: Date.parse('2027-03-01T00:00:00Z'), timezone: 'UTC' });
    expect(message.timestamp).toBeUndefined();
    expect(message.anomalies).toContain('bad_timestamp');
  });
});

describe('new year through parseSyslog', () => {
  it.each([
    ['<14>Dec 31 23:59:59 host app: x', '2027-01-01T00:00:05Z', '2026-12-31T23:59:59.000Z'],
    ['<14>Jan  1 00:00:01 host app: x', '2026-12-31T23:59:58Z', '2027-01-01T00:00:01.000Z'],
    ['<14>Jan  1 00:00:01 host app: x', '2027-01-01T00:00:03Z', '2027-01-01T00:00:01.000Z'],
  ])('%s received %s', (line, received, expected) => {
    expect(parseSyslog(line, { receivedAt: Date.parse(received), timezone: 'UTC' }).timestamp).toBe(expected);
  });
});

describe('scanIsoTimestamp', () => {
  it('truncates fractions to milliseconds and reads offsets with or without a colon', () => {
    const a = scanIsoTimestamp('2026-11-24T09:00:00.999999+0100', 0);
    expect(a?.wall?.millisecond).toBe(999);
    expect(a?.offsetMs).toBe(3_600_000);
    expect(scanIsoTimestamp('2026-11-24T09:00:00-07:30', 0)?.offsetMs).toBe(-27_000_000);
    expect(scanIsoTimestamp('2026-11-24T09:00:00', 0)?.offsetMs).toBeUndefined();
  });

  it('scans an out-of-range value without a wall time, and rejects other shapes', () => {
    expect(scanIsoTimestamp('2026-02-30T09:00:00Z', 0)?.wall).toBeUndefined();
    expect(scanIsoTimestamp('2026-11-24 09:00:00Z', 0)).toBeUndefined();
    expect(scanIsoTimestamp('2026-11-24T09:00', 0)).toBeUndefined();
  });
});

describe('scanBsdTimestamp', () => {
  it('reads Cisco marks, milliseconds, zone abbreviations and a trailing colon', () => {
    const scan = scanBsdTimestamp('*Mar  1 18:46:11.123 UTC: %SYS', 0);
    expect(scan).toMatchObject({ mark: '*', month: 3, day: 1, hour: 18, millisecond: 123, zoneAbbreviation: 'UTC', zoneOffsetMs: 0, colon: true });
  });

  it('reads a year before or after the time', () => {
    expect(scanBsdTimestamp('Mar  7 2008 19:06:53 host', 0)?.year).toBe(2008);
    expect(scanBsdTimestamp('Aug 10 22:18:24 2009 host', 0)?.year).toBe(2009);
  });

  it('does not take a glued token as a timestamp', () => {
    expect(scanBsdTimestamp('Mar  7 19:06:53x host', 0)).toBeUndefined();
    expect(scanBsdTimestamp('March 7 19:06:53 host', 0)).toBeUndefined();
  });
});

describe('toIso', () => {
  it('formats like Date#toISOString across seconds, slots and milliseconds, memo or not', () => {
    const base = Date.UTC(2026, 10, 24, 8, 0, 0, 0);
    // Two interleaved instants per round (a line's time and its receive time) and every slot.
    for (let step = 0; step < 40; step += 1) {
      for (const instant of [base + step * 1000 + step, base + 7_000_000 + step * 137, base - step * 1001, 0, 999, -1]) {
        expect(toIso(instant)).toBe(new Date(instant).toISOString());
      }
    }
    expect(toIso(Number.NaN)).toBeUndefined();
    expect(toIso(Date.UTC(12000, 0, 1))).toBeUndefined();
  });
});
