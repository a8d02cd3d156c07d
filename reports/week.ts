/**
 * ISO 8601 weeks in a time zone: a report's week runs from Monday 00:00 to the next Monday 00:00
 * local time, which is 167 or 169 hours when a daylight-saving change falls in it.
 *
 * Written by hand on `Intl.DateTimeFormat` (Node 20 has no Temporal): the offset of a zone at an
 * instant is read from the formatted parts, and a local time is turned into an instant by
 * correcting a first guess with the offset found there (twice, which settles DST edges).
 */
import { UserError } from '../core/errors.js';
import { ISO_WEEK_PATTERN, type IsoWeek, type ReportPeriod } from '../core/reports/types.js';

const WEEK = new RegExp(ISO_WEEK_PATTERN);
const DAY_MS = 86_400_000;
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** When a week's report is made: on `day` of the following week at `time` (HH:MM) in `timeZone`. */
export interface ReportSchedule {
  readonly day: (typeof DAYS)[number];
  readonly time: string;
  readonly timeZone: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    } catch {
      throw new UserError('WATCHPOST_ERR_REPORT_INVALID', `unknown time zone ${JSON.stringify(timeZone)}: use an IANA name such as Europe/Berlin or UTC`);
    }
    formatters.set(timeZone, format);
  }
  return format;
}

/** Throws a UserError unless `timeZone` is a time zone this runtime knows. */
export function checkTimeZone(timeZone: string): void {
  formatter(timeZone);
}

/** The local wall-clock time of an instant in a zone, as if it were UTC (ms). */
function wallClock(instantMs: number, timeZone: string): number {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(instantMs)).map((part) => [part.type, part.value]));
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
}

/** The instant at which the zone's clock shows `localMs` (a wall-clock time written as UTC). */
export function instantOf(localMs: number, timeZone: string): number {
  let guess = localMs - (wallClock(localMs, timeZone) - localMs);
  guess = localMs - (wallClock(guess, timeZone) - guess);
  return guess;
}

/** The local date (YYYY-MM-DD) of an instant in a zone. */
export function localDate(instantMs: number, timeZone: string): string {
  return new Date(wallClock(instantMs, timeZone)).toISOString().slice(0, 10);
}

/** Monday 00:00 of ISO week 1 of `year`, as a UTC wall-clock value. */
function firstMonday(year: number): number {
  const jan4 = Date.UTC(year, 0, 4);
  const weekday = (new Date(jan4).getUTCDay() + 6) % 7;
  return jan4 - weekday * DAY_MS;
}

/** Parses `YYYY-Www`, refusing weeks a year does not have (W53 of a 52-week year). */
export function parseWeek(week: string): { readonly year: number; readonly week: number } {
  if (!WEEK.test(week)) throw new UserError('WATCHPOST_ERR_REPORT_INVALID', `invalid week ${JSON.stringify(week)}: write it YYYY-Www, e.g. 2026-W47`);
  const year = Number(week.slice(0, 4));
  const number = Number(week.slice(6));
  if (number > weeksIn(year)) throw new UserError('WATCHPOST_ERR_REPORT_INVALID', `${year} has no week ${number}`);
  return { year, week: number };
}

/** 52 or 53. */
export function weeksIn(year: number): number {
  return Math.round((firstMonday(year + 1) - firstMonday(year)) / (7 * DAY_MS));
}

/** The ISO week of a wall-clock value. */
function weekOfWallClock(localMs: number): IsoWeek {
  const day = new Date(localMs);
  const weekday = (day.getUTCDay() + 6) % 7;
  // The Thursday of the same week decides the year.
  const thursday = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()) + (3 - weekday) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const number = Math.floor((thursday - firstMonday(year)) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(number).padStart(2, '0')}`;
}

/** The ISO week an instant falls in, in a zone. */
export function weekOf(instantMs: number, timeZone: string): IsoWeek {
  return weekOfWallClock(wallClock(instantMs, timeZone));
}

/** The week before or after `week` by `delta` weeks. */
export function shiftWeek(week: IsoWeek, delta: number): IsoWeek {
  const { year, week: number } = parseWeek(week);
  return weekOfWallClock(firstMonday(year) + (number - 1 + delta) * 7 * DAY_MS);
}

/** The period of a week in a zone: Monday 00:00 local to the next Monday 00:00 local. */
export function weekPeriod(week: IsoWeek, timeZone: string): ReportPeriod {
  const { year, week: number } = parseWeek(week);
  const monday = firstMonday(year) + (number - 1) * 7 * DAY_MS;
  return {
    week,
    timeZone,
    from: new Date(instantOf(monday, timeZone)).toISOString(),
    to: new Date(instantOf(monday + 7 * DAY_MS, timeZone)).toISOString(),
  };
}

/** The last week that has ended at `nowMs` (the week before the current one). */
export function lastFullWeek(nowMs: number, timeZone: string): IsoWeek {
  return shiftWeek(weekOf(nowMs, timeZone), -1);
}

/** When the report of `week` is due: `schedule.day` of the following week at `schedule.time`, local. */
export function scheduledAt(week: IsoWeek, schedule: ReportSchedule): number {
  const { year, week: number } = parseWeek(shiftWeek(week, 1));
  const [hours, minutes] = schedule.time.split(':').map(Number) as [number, number];
  // From the calendar's Monday, not the clock at the week's first instant: where a DST change
  // skips Monday 00:00 (Asia/Tehran, 2021-03-22) that instant reads 01:00 and would shift the time.
  const mondayLocal = firstMonday(year) + (number - 1) * 7 * DAY_MS;
  return instantOf(mondayLocal + DAYS.indexOf(schedule.day) * DAY_MS + (hours * 60 + minutes) * 60_000, schedule.timeZone);
}

/** The newest week whose report was due at or before `nowMs`. */
export function dueWeek(nowMs: number, schedule: ReportSchedule): IsoWeek {
  const last = lastFullWeek(nowMs, schedule.timeZone);
  return scheduledAt(last, schedule) <= nowMs ? last : shiftWeek(last, -1);
}
