import { ISO_WEEK_PATTERN, type IsoWeek } from '../../../core/reports/types.js';

const WEEK = new RegExp(ISO_WEEK_PATTERN);
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * The furthest ahead of UTC a time zone is (Pacific/Kiritimati, UTC+14): no zone's Monday 00:00
 * comes earlier than 14 h before Monday 00:00 UTC.
 */
const MAX_ZONE_AHEAD_MS = 14 * HOUR_MS;

/** Monday 00:00 UTC of ISO week 1 of `year` (the week holding 4 January). */
function firstMonday(year: number): number {
  const jan4 = Date.UTC(year, 0, 4);
  return jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY_MS;
}

/**
 * Monday 00:00 UTC of `week`, or undefined when it is not written `YYYY-Www` or its year has no
 * such week (W53 of a 52-week year). The API's own check, so a malformed week is refused before
 * the reports service is called; reports/week.ts (out of the API's reach) is the service's.
 */
export function weekStartUtc(week: string): number | undefined {
  if (!WEEK.test(week)) return undefined;
  const year = Number(week.slice(0, 4));
  const number = Number(week.slice(6));
  if (number > Math.round((firstMonday(year + 1) - firstMonday(year)) / (7 * DAY_MS))) return undefined;
  return firstMonday(year) + (number - 1) * 7 * DAY_MS;
}

/**
 * Whether `week` has certainly not ended at `nowMs` in any time zone: its end (the next Monday
 * 00:00) is still ahead even in the zone furthest ahead of UTC. The report's own zone is the
 * service's to know; it refuses the weeks of the last hours this leaves open.
 */
export function weekNotEndedAnywhere(week: IsoWeek, nowMs: number): boolean {
  const start = weekStartUtc(week);
  return start !== undefined && nowMs < start + 7 * DAY_MS - MAX_ZONE_AHEAD_MS;
}
