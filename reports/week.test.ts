import { describe, expect, it } from 'vitest';
import type { ReportPeriod } from '../core/reports/types.js';
import { checkTimeZone, dueWeek, instantOf, lastFullWeek, localDate, parseWeek, scheduledAt, shiftWeek, weekOf, weekPeriod, weeksIn, type ReportSchedule } from './week.js';

const HOUR = 3_600_000;

function hours(period: ReportPeriod): number {
  return (Date.parse(period.to) - Date.parse(period.from)) / HOUR;
}

const iso = (ms: number): string => new Date(ms).toISOString();

describe('weekPeriod', () => {
  it('runs Monday 00:00 to Monday 00:00 local, 168 h in an ordinary week', () => {
    expect(weekPeriod('2026-W46', 'Europe/Berlin')).toEqual({ week: '2026-W46', timeZone: 'Europe/Berlin', from: '2026-11-08T23:00:00.000Z', to: '2026-11-15T23:00:00.000Z' });
    expect(weekPeriod('2026-W46', 'UTC')).toMatchObject({ from: '2026-11-09T00:00:00.000Z', to: '2026-11-16T00:00:00.000Z' });
    expect(weekPeriod('2026-W12', 'Asia/Kolkata')).toMatchObject({ from: '2026-03-15T18:30:00.000Z', to: '2026-03-22T18:30:00.000Z' });
  });

  it('is 167 h when clocks go forward and 169 h when they go back (Europe/Berlin: last Sundays of March and October)', () => {
    const spring = weekPeriod('2026-W13', 'Europe/Berlin'); // Sunday 2026-03-29
    expect(spring).toMatchObject({ from: '2026-03-22T23:00:00.000Z', to: '2026-03-29T22:00:00.000Z' });
    expect(hours(spring)).toBe(167);
    const autumn = weekPeriod('2026-W43', 'Europe/Berlin'); // Sunday 2026-10-25
    expect(autumn).toMatchObject({ from: '2026-10-18T22:00:00.000Z', to: '2026-10-25T23:00:00.000Z' });
    expect(hours(autumn)).toBe(169);
    expect(hours(weekPeriod('2026-W44', 'Europe/Berlin'))).toBe(168);
    expect(hours(weekPeriod('2026-W12', 'Europe/Berlin'))).toBe(168);
  });

  it('follows America/New_York (second Sunday of March, first Sunday of November)', () => {
    const spring = weekPeriod('2026-W10', 'America/New_York'); // Sunday 2026-03-08
    expect(spring).toMatchObject({ from: '2026-03-02T05:00:00.000Z', to: '2026-03-09T04:00:00.000Z' });
    expect(hours(spring)).toBe(167);
    const autumn = weekPeriod('2026-W44', 'America/New_York'); // Sunday 2026-11-01
    expect(autumn).toMatchObject({ from: '2026-10-26T04:00:00.000Z', to: '2026-11-02T05:00:00.000Z' });
    expect(hours(autumn)).toBe(169);
  });

  it('follows the southern hemisphere (Australia/Sydney goes back in April, forward in October)', () => {
    expect(hours(weekPeriod('2026-W14', 'Australia/Sydney'))).toBe(169);
    expect(hours(weekPeriod('2026-W40', 'Australia/Sydney'))).toBe(167);
  });

  it('starts at the first instant of Monday when a change skips Monday 00:00 (Asia/Tehran, 2021-03-22 00:00 → 01:00)', () => {
    const period = weekPeriod('2021-W12', 'Asia/Tehran');
    expect(period.from).toBe('2021-03-21T20:30:00.000Z'); // 01:00 +04:30
    expect(hours(period)).toBe(167);
    expect(localDate(Date.parse(period.from), 'Asia/Tehran')).toBe('2021-03-22');
    expect(localDate(Date.parse(period.from) - 1, 'Asia/Tehran')).toBe('2021-03-21');
  });

  it('crosses year boundaries: week 1 may start in December, week 53 end in January', () => {
    expect(weekPeriod('2026-W01', 'Europe/Berlin')).toMatchObject({ from: '2025-12-28T23:00:00.000Z', to: '2026-01-04T23:00:00.000Z' });
    expect(weekPeriod('2026-W53', 'UTC')).toMatchObject({ from: '2026-12-28T00:00:00.000Z', to: '2027-01-04T00:00:00.000Z' });
    expect(weekPeriod('2020-W53', 'America/New_York')).toMatchObject({ from: '2020-12-28T05:00:00.000Z', to: '2021-01-04T05:00:00.000Z' });
    // Each week ends where the next begins.
    expect(weekPeriod('2027-W01', 'Europe/Berlin').from).toBe(weekPeriod('2026-W53', 'Europe/Berlin').to);
  });

  it('refuses malformed weeks, weeks a year does not have, and unknown zones', () => {
    for (const week of ['2026-W54', '2026-W00', '2026W01', '2026-w01', '26-W01', '2027-W53', '2025-W53']) {
      expect(() => weekPeriod(week, 'UTC'), week).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_REPORT_INVALID' }));
    }
    expect(() => weekPeriod('2026-W01', 'Mars/Olympus_Mons')).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_REPORT_INVALID' }));
    expect(() => checkTimeZone('Not/AZone')).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_REPORT_INVALID' }));
    expect(() => checkTimeZone('America/New_York')).not.toThrow();
  });
});

describe('weeks of the year', () => {
  it('has 53 weeks in years starting on a Thursday, and in leap years starting on a Wednesday', () => {
    expect([2015, 2020, 2026, 2032, 2037].map(weeksIn)).toEqual([53, 53, 53, 53, 53]);
    expect([2021, 2024, 2025, 2027, 2028].map(weeksIn)).toEqual([52, 52, 52, 52, 52]);
    expect(parseWeek('2026-W53')).toEqual({ year: 2026, week: 53 });
  });

  it('shifts across year ends and week 53', () => {
    expect(shiftWeek('2026-W53', 1)).toBe('2027-W01');
    expect(shiftWeek('2027-W01', -1)).toBe('2026-W53');
    expect(shiftWeek('2026-W01', -1)).toBe('2025-W52');
    expect(shiftWeek('2025-W52', 1)).toBe('2026-W01');
    expect(shiftWeek('2026-W46', -52)).toBe('2025-W46');
    expect(shiftWeek('2026-W46', 0)).toBe('2026-W46');
  });

  it('places instants in the week of their local date', () => {
    // Monday 2025-12-29 is in 2026-W01; Sunday 2027-01-03 in 2026-W53; Friday 2021-01-01 in 2020-W53.
    expect(weekOf(Date.parse('2025-12-29T12:00:00Z'), 'UTC')).toBe('2026-W01');
    expect(weekOf(Date.parse('2027-01-03T12:00:00Z'), 'UTC')).toBe('2026-W53');
    expect(weekOf(Date.parse('2021-01-01T12:00:00Z'), 'UTC')).toBe('2020-W53');
    // 23:30 UTC on Sunday 2026-12-27 is already Monday in Berlin.
    expect(weekOf(Date.parse('2026-12-27T23:30:00Z'), 'Europe/Berlin')).toBe('2026-W53');
    expect(weekOf(Date.parse('2026-12-27T23:30:00Z'), 'UTC')).toBe('2026-W52');
    expect(localDate(Date.parse('2026-11-08T23:30:00Z'), 'Europe/Berlin')).toBe('2026-11-09');
    expect(localDate(Date.parse('2026-11-08T23:30:00Z'), 'America/New_York')).toBe('2026-11-08');
  });

  it('takes the last full week, in the zone', () => {
    // 00:30 on Monday 2027-01-04 in Berlin: 2026-W53 has just ended there, not yet in UTC.
    expect(lastFullWeek(Date.parse('2027-01-03T23:30:00Z'), 'Europe/Berlin')).toBe('2026-W53');
    expect(lastFullWeek(Date.parse('2027-01-03T23:30:00Z'), 'UTC')).toBe('2026-W52');
  });
});

describe('instantOf', () => {
  it('moves a local time that does not exist forward by the gap, as clocks do', () => {
    // 02:30 on 2026-03-29 does not exist in Berlin: 03:30 CEST.
    expect(iso(instantOf(Date.UTC(2026, 2, 29, 2, 30), 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    // Midnight does not exist in Cairo on 2026-04-24: 01:00 EEST.
    expect(iso(instantOf(Date.UTC(2026, 3, 24, 0, 0), 'Africa/Cairo'))).toBe('2026-04-23T22:00:00.000Z');
  });
});

describe('scheduledAt and dueWeek', () => {
  const berlin: ReportSchedule = { day: 'monday', time: '06:00', timeZone: 'Europe/Berlin' };

  it('is the schedule day of the following week at the local time, across DST changes', () => {
    expect(iso(scheduledAt('2026-W46', berlin))).toBe('2026-11-16T05:00:00.000Z');
    expect(iso(scheduledAt('2026-W13', berlin))).toBe('2026-03-30T04:00:00.000Z'); // CEST by then
    expect(iso(scheduledAt('2026-W43', berlin))).toBe('2026-10-26T05:00:00.000Z'); // CET by then
    expect(iso(scheduledAt('2026-W53', { day: 'friday', time: '17:45', timeZone: 'America/New_York' }))).toBe('2027-01-08T22:45:00.000Z');
    // A time that falls in the spring-forward gap runs at the first valid minute after it.
    expect(iso(scheduledAt('2026-W12', { day: 'sunday', time: '02:30', timeZone: 'Europe/Berlin' }))).toBe('2026-03-29T01:30:00.000Z');
  });

  it('counts from the calendar Monday where a change skips Monday 00:00', () => {
    // Tehran went from 00:00 to 01:00 on Monday 2021-03-22: 06:00 +04:30 is 01:30Z, not 07:00 local.
    expect(iso(scheduledAt('2021-W11', { day: 'monday', time: '06:00', timeZone: 'Asia/Tehran' }))).toBe('2021-03-22T01:30:00.000Z');
  });

  it('makes a week due at its scheduled minute, not a millisecond before', () => {
    const at = Date.parse('2026-11-16T05:00:00.000Z');
    expect(dueWeek(at - 1, berlin)).toBe('2026-W45');
    expect(dueWeek(at, berlin)).toBe('2026-W46');
    expect(dueWeek(at + 60_000, berlin)).toBe('2026-W46');
    // Right after the week ended (Monday 00:00 local) the previous one is still the due one.
    expect(dueWeek(Date.parse('2026-11-15T23:00:00.000Z'), berlin)).toBe('2026-W45');
    // A Friday schedule: on Wednesday of W47 the newest due week is W45.
    const friday: ReportSchedule = { day: 'friday', time: '08:00', timeZone: 'Europe/Berlin' };
    expect(dueWeek(Date.parse('2026-11-18T12:00:00.000Z'), friday)).toBe('2026-W45');
    expect(dueWeek(Date.parse('2026-11-20T07:00:00.000Z'), friday)).toBe('2026-W46');
  });

  it('is due across the year end and week 53', () => {
    const at = Date.parse('2027-01-04T05:00:00.000Z'); // Monday 06:00 CET
    expect(dueWeek(at - 1, berlin)).toBe('2026-W52');
    expect(dueWeek(at, berlin)).toBe('2026-W53');
    expect(dueWeek(Date.parse('2027-01-11T05:00:00.000Z'), berlin)).toBe('2027-W01');
  });
});
