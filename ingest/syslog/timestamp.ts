/**
 * Syslog timestamps: RFC 3339 (RFC 5424 and rsyslog's high-precision file format), BSD
 * `Mmm dd hh:mm:ss` (RFC 3164, with the year and Cisco variants), and wall-clock to UTC
 * conversion in an IANA zone with Intl only (no time-zone database dependency).
 */

/** A calendar date and time of day as written in a message, without a zone. */
export interface WallTime {
  readonly year: number;
  /** 1-12. */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

/** An RFC 3339 timestamp as scanned: where it ends and, if its values are in range, the wall time. */
export interface IsoScan {
  readonly end: number;
  /** Absent when the shape matched but a value is out of range (month 13, hour 25). */
  readonly wall?: WallTime;
  /** Offset east of UTC in ms; absent when the timestamp had no `Z` or offset. */
  readonly offsetMs?: number;
}

/** A BSD timestamp as scanned (`Mmm dd [yyyy] hh:mm:ss[.fff] [yyyy] [TZ][:]`). */
export interface BsdScan {
  readonly end: number;
  readonly month: number;
  readonly day: number;
  readonly year?: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
  /** Values in range (a `Feb 30` or `25:00:00` still scans, so the header after it can be parsed). */
  readonly valid: boolean;
  /** Cisco marks: `*` the clock is not authoritative, `.` it was synchronised but lost its source. */
  readonly mark: '' | '*' | '.';
  /** A zone abbreviation was present (Cisco `UTC:`), with its offset when it is a known one. */
  readonly zoneAbbreviation?: string;
  readonly zoneOffsetMs?: number;
  /** The timestamp ended with `:` (Cisco, and a common mistake rsyslog tolerates). */
  readonly colon: boolean;
}

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MAX_INSTANT = 8.64e15 - 86_400_000;
// Years outside this range are garbage in a log stream, and they keep toISOString in its 4-digit form.
const MIN_YEAR = 1000;
const MAX_YEAR = 9998;

/**
 * Zone abbreviations Cisco IOS may print (`service timestamps log datetime show-timezone`). Only
 * unambiguous ones: IST, BST and CST-as-China are left out on purpose, they fall back to the
 * configured zone with an anomaly.
 */
const ZONE_ABBREVIATIONS: ReadonlyMap<string, number> = new Map([
  ['UTC', 0],
  ['GMT', 0],
  ['UT', 0],
  ['Z', 0],
  ['EST', -5],
  ['EDT', -4],
  ['CST', -6],
  ['CDT', -5],
  ['MST', -7],
  ['MDT', -6],
  ['PST', -8],
  ['PDT', -7],
  ['AKST', -9],
  ['AKDT', -8],
  ['HST', -10],
  ['WET', 0],
  ['WEST', 1],
  ['CET', 1],
  ['CEST', 2],
  ['MET', 1],
  ['MEST', 2],
  ['EET', 2],
  ['EEST', 3],
  ['MSK', 3],
  ['JST', 9],
  ['KST', 9],
  ['AEST', 10],
  ['AEDT', 11],
  ['NZST', 12],
  ['NZDT', 13],
].map(([name, hours]) => [name as string, (hours as number) * MS_PER_HOUR]));

/** Month number (1-12) of a three-letter English month name, any case; 0 when it is none. */
function monthAt(text: string, pos: number): number {
  if (pos + 3 > text.length) return 0;
  // Fold to lower case with a bit so 'AUG' (rsyslog's upcase-date case) and 'Aug' both match.
  const a = text.charCodeAt(pos) | 0x20;
  const b = text.charCodeAt(pos + 1) | 0x20;
  const c = text.charCodeAt(pos + 2) | 0x20;
  const key = String.fromCharCode(a, b, c);
  switch (key) {
    case 'jan': return 1;
    case 'feb': return 2;
    case 'mar': return 3;
    case 'apr': return 4;
    case 'may': return 5;
    case 'jun': return 6;
    case 'jul': return 7;
    case 'aug': return 8;
    case 'sep': return 9;
    case 'oct': return 10;
    case 'nov': return 11;
    case 'dec': return 12;
    default: return 0;
  }
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Value of exactly `count` digits at `pos`, or -1. */
function digitsAt(text: string, pos: number, count: number): number {
  if (pos + count > text.length) return -1;
  let value = 0;
  for (let i = pos; i < pos + count; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - 48);
  }
  return value;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in a month (1-12) of a year. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function timeInRange(hour: number, minute: number, second: number): boolean {
  // Second 60 is a leap second, which RFC 3339 allows.
  return hour <= 23 && minute <= 59 && second <= 60;
}

/** Wall time read as if it were UTC, in ms; Date.UTC alone would map years 0-99 to 1900-1999. */
export function wallToNaiveMs(wall: WallTime): number {
  // Date.UTC reads years 0–99 as 1900–1999, so only later years take the short road.
  if (wall.year >= 100) return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, Math.min(wall.second, 59), wall.second === 60 ? 999 : wall.millisecond);
  const date = new Date(0);
  date.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  date.setUTCHours(wall.hour, wall.minute, Math.min(wall.second, 59), wall.second === 60 ? 999 : wall.millisecond);
  return date.getTime();
}

/** Parses `+hh:mm`, `+hhmm` or `+hh` at `pos`; returns the offset and the end, or undefined. */
function numericOffsetAt(text: string, pos: number): { offsetMs: number; end: number } | undefined {
  const sign = text.charCodeAt(pos);
  if (sign !== 43 && sign !== 45) return undefined;
  const hours = digitsAt(text, pos + 1, 2);
  if (hours < 0) return undefined;
  let end = pos + 3;
  let minutes = 0;
  if (text.charCodeAt(end) === 58) {
    minutes = digitsAt(text, end + 1, 2);
    if (minutes < 0) return undefined;
    end += 3;
  } else if (isDigit(text.charCodeAt(end))) {
    minutes = digitsAt(text, end, 2);
    if (minutes < 0) return undefined;
    end += 2;
  }
  if (hours > 23 || minutes > 59) return undefined;
  const offsetMs = (hours * 60 + minutes) * MS_PER_MINUTE;
  return { offsetMs: sign === 45 ? -offsetMs : offsetMs, end };
}

/**
 * Scans an RFC 3339 timestamp at `pos` (`2003-10-11T22:14:15.003Z`, `...+01:00`, `...+0100`, or no
 * offset). Fractions beyond milliseconds are truncated, never rounded up into the next second.
 * Returns undefined when the text there does not have that shape.
 */
export function scanIsoTimestamp(text: string, pos: number): IsoScan | undefined {
  const year = digitsAt(text, pos, 4);
  if (year < 0 || text.charCodeAt(pos + 4) !== 45) return undefined;
  const month = digitsAt(text, pos + 5, 2);
  if (month < 0 || text.charCodeAt(pos + 7) !== 45) return undefined;
  const day = digitsAt(text, pos + 8, 2);
  const t = text.charCodeAt(pos + 10);
  if (day < 0 || (t !== 84 && t !== 116)) return undefined;
  const hour = digitsAt(text, pos + 11, 2);
  if (hour < 0 || text.charCodeAt(pos + 13) !== 58) return undefined;
  const minute = digitsAt(text, pos + 14, 2);
  if (minute < 0 || text.charCodeAt(pos + 16) !== 58) return undefined;
  const second = digitsAt(text, pos + 17, 2);
  if (second < 0) return undefined;
  let end = pos + 19;
  let millisecond = 0;
  if (text.charCodeAt(end) === 46 && isDigit(text.charCodeAt(end + 1))) {
    end++;
    let scale = 100;
    while (end < text.length && isDigit(text.charCodeAt(end))) {
      millisecond += (text.charCodeAt(end) - 48) * scale;
      scale /= 10;
      end++;
    }
    millisecond = Math.floor(millisecond);
  }
  let offsetMs: number | undefined;
  const z = text.charCodeAt(end);
  if (z === 90 || z === 122) {
    offsetMs = 0;
    end++;
  } else {
    const numeric = numericOffsetAt(text, end);
    if (numeric) {
      offsetMs = numeric.offsetMs;
      end = numeric.end;
    }
  }
  const valid =
    year >= MIN_YEAR && year <= MAX_YEAR && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && timeInRange(hour, minute, second);
  const wall: WallTime | undefined = valid ? { year, month, day, hour, minute, second, millisecond } : undefined;
  return { end, ...(wall ? { wall } : {}), ...(offsetMs === undefined ? {} : { offsetMs }) };
}

/**
 * Scans a BSD timestamp at `pos`: `Mmm dd hh:mm:ss` (day padded with a space or a zero, or not
 * padded), optionally `Mmm dd yyyy hh:mm:ss`, a year after the time, milliseconds, Cisco's leading
 * `*` or `.`, a zone abbreviation before a colon, and a trailing colon. It must end at a space or
 * the end of the text. Returns undefined when the text there does not have that shape.
 */
export function scanBsdTimestamp(text: string, start: number): BsdScan | undefined {
  let pos = start;
  let mark: BsdScan['mark'] = '';
  const first = text.charCodeAt(pos);
  if (first === 42 || first === 46) {
    mark = first === 42 ? '*' : '.';
    pos++;
  }
  const month = monthAt(text, pos);
  if (month === 0 || text.charCodeAt(pos + 3) !== 32) return undefined;
  pos += 4;
  while (text.charCodeAt(pos) === 32) pos++;
  let day = digitsAt(text, pos, 2);
  if (day >= 0) pos += 2;
  else {
    day = digitsAt(text, pos, 1);
    if (day < 0) return undefined;
    pos += 1;
  }
  if (text.charCodeAt(pos) !== 32) return undefined;
  pos++;
  let year: number | undefined;
  const leadingYear = digitsAt(text, pos, 4);
  if (leadingYear >= 0 && text.charCodeAt(pos + 4) === 32) {
    year = leadingYear;
    pos += 5;
  }
  const hour = digitsAt(text, pos, 2);
  if (hour < 0 || text.charCodeAt(pos + 2) !== 58) return undefined;
  const minute = digitsAt(text, pos + 3, 2);
  if (minute < 0 || text.charCodeAt(pos + 5) !== 58) return undefined;
  const second = digitsAt(text, pos + 6, 2);
  if (second < 0) return undefined;
  pos += 8;
  let millisecond = 0;
  if (text.charCodeAt(pos) === 46 && isDigit(text.charCodeAt(pos + 1))) {
    pos++;
    let scale = 100;
    while (pos < text.length && isDigit(text.charCodeAt(pos))) {
      millisecond += (text.charCodeAt(pos) - 48) * scale;
      scale /= 10;
      pos++;
    }
    millisecond = Math.floor(millisecond);
  }
  // `Aug 10 22:18:24 2009 host`: a ctime-style year after the time (a plain 4-digit hostname loses).
  if (year === undefined && text.charCodeAt(pos) === 32) {
    const trailingYear = digitsAt(text, pos + 1, 4);
    const after = text.charCodeAt(pos + 5);
    if (trailingYear >= 1970 && trailingYear <= 2099 && (Number.isNaN(after) || after === 32)) {
      year = trailingYear;
      pos += 5;
    }
  }
  let zoneAbbreviation: string | undefined;
  let zoneOffsetMs: number | undefined;
  if (text.charCodeAt(pos) === 32) {
    // Cisco prints the zone before the colon that ends its timestamp: `18:46:11.123 UTC:`.
    let end = pos + 1;
    while (end < text.length && end - pos <= 6) {
      const code = text.charCodeAt(end);
      if (code < 65 || code > 90) break;
      end++;
    }
    if (end > pos + 1 && text.charCodeAt(end) === 58) {
      zoneAbbreviation = text.slice(pos + 1, end);
      zoneOffsetMs = ZONE_ABBREVIATIONS.get(zoneAbbreviation);
      pos = end;
    }
  }
  let colon = false;
  if (text.charCodeAt(pos) === 58) {
    colon = true;
    pos++;
  }
  if (pos < text.length && text.charCodeAt(pos) !== 32) return undefined;
  const valid =
    month >= 1 && day >= 1 && day <= (year === undefined ? (month === 2 ? 29 : daysInMonth(2001, month)) : daysInMonth(year, month)) &&
    timeInRange(hour, minute, second) && (year === undefined || (year >= MIN_YEAR && year <= MAX_YEAR));
  return {
    end: pos,
    month,
    day,
    ...(year === undefined ? {} : { year }),
    hour,
    minute,
    second,
    millisecond,
    valid,
    mark,
    ...(zoneAbbreviation === undefined ? {} : { zoneAbbreviation }),
    ...(zoneOffsetMs === undefined ? {} : { zoneOffsetMs }),
    colon,
  };
}

type Zone = { readonly kind: 'fixed'; readonly offsetMs: number } | { readonly kind: 'intl'; readonly format: Intl.DateTimeFormat; readonly hours: Map<number, number>; readonly minutes: Map<number, number> };

// One formatter per zone for the life of the process: constructing Intl.DateTimeFormat costs tens
// of microseconds, formatting with one costs about one. `null` remembers a zone Intl rejected.
const zones = new Map<string, Zone | null>();
const MAX_ZONES = 512;
const MAX_OFFSETS_PER_ZONE = 4096;

function fixedZone(name: string): Zone | undefined {
  if (name === 'UTC' || name === 'Etc/UTC' || name === 'GMT' || name === 'Z' || name === 'Etc/GMT') return { kind: 'fixed', offsetMs: 0 };
  const numeric = numericOffsetAt(name, 0);
  if (numeric && numeric.end === name.length) return { kind: 'fixed', offsetMs: numeric.offsetMs };
  return undefined;
}

function resolveZone(name: string): Zone | null {
  const cached = zones.get(name);
  if (cached !== undefined) return cached;
  let zone: Zone | null = fixedZone(name) ?? null;
  if (!zone) {
    try {
      const format = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
      zone = { kind: 'intl', format, hours: new Map(), minutes: new Map() };
    } catch {
      zone = null;
    }
  }
  if (zones.size >= MAX_ZONES) zones.clear();
  zones.set(name, zone);
  return zone;
}

/** Whether Intl knows the zone (an IANA name, `UTC`, or a numeric offset like `+01:00`). */
export function isKnownZone(name: string): boolean {
  return resolveZone(name) !== null;
}

/** The offset at one instant, straight from Intl (about a microsecond). */
function formatOffset(format: Intl.DateTimeFormat, at: number): number {
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const part of format.formatToParts(at)) {
    const type: string = part.type;
    if (type === 'year') year = Number(part.value);
    else if (type === 'month') month = Number(part.value);
    else if (type === 'day') day = Number(part.value);
    else if (type === 'hour') hour = Number(part.value);
    else if (type === 'minute') minute = Number(part.value);
    else if (type === 'second') second = Number(part.value);
    else if (type === 'era') bc = part.value.startsWith('B');
  }
  const wall = wallToNaiveMs({ year: bc ? 1 - year : year, month, day, hour, minute, second, millisecond: 0 });
  return Number.isFinite(wall) ? wall - at : 0;
}

function remember(cache: Map<number, number>, key: number, offset: number): number {
  if (cache.size >= MAX_OFFSETS_PER_ZONE) cache.clear();
  cache.set(key, offset);
  return offset;
}

function intlOffset(zone: Extract<Zone, { kind: 'intl' }>, instant: number): number {
  // Every transition in the current tz database falls on a whole minute, and at most one falls in
  // any hour: an hour whose first and last minute agree has one offset throughout, so it is cached
  // per UTC hour; the rare hour with a transition is cached per minute (NaN marks such an hour).
  const hour = Math.floor(instant / MS_PER_HOUR);
  const cachedHour = zone.hours.get(hour);
  if (cachedHour !== undefined && !Number.isNaN(cachedHour)) return cachedHour;
  if (cachedHour === undefined) {
    const start = formatOffset(zone.format, hour * MS_PER_HOUR);
    const end = formatOffset(zone.format, hour * MS_PER_HOUR + MS_PER_HOUR - MS_PER_MINUTE);
    if (start === end) return remember(zone.hours, hour, start);
    remember(zone.hours, hour, NaN);
  }
  const minute = Math.floor(instant / MS_PER_MINUTE);
  const cachedMinute = zone.minutes.get(minute);
  if (cachedMinute !== undefined) return cachedMinute;
  return remember(zone.minutes, minute, formatOffset(zone.format, minute * MS_PER_MINUTE));
}

/** Offset east of UTC, in ms, of a zone at an instant; undefined for a zone Intl does not know. */
export function zoneOffsetAt(name: string, instant: number): number | undefined {
  const zone = resolveZone(name);
  if (!zone) return undefined;
  if (zone.kind === 'fixed') return zone.offsetMs;
  // Date's range is ±8.64e15 ms; formatting outside it throws. Keep a day of margin for probes.
  if (!(Math.abs(instant) <= MAX_INSTANT)) return undefined;
  return intlOffset(zone, instant);
}

/**
 * The UTC instant of a wall-clock time in a zone. A time skipped by a DST jump is read with the
 * offset before the jump (02:30 on a spring-forward night becomes 03:30); a repeated time takes
 * the first occurrence, as java.time and Temporal's 'compatible' disambiguation do.
 */
export function zonedWallToUtc(wall: WallTime, name: string): number | undefined {
  const zone = resolveZone(name);
  if (!zone) return undefined;
  const naive = wallToNaiveMs(wall);
  if (!Number.isFinite(naive)) return undefined;
  if (zone.kind === 'fixed') return naive - zone.offsetMs;
  // Offsets before and after any transition near this time, probed a day either side: the two
  // candidate instants are naive minus each; keep those that read back as the same wall time.
  const before = intlOffset(zone, naive - 86_400_000);
  const after = intlOffset(zone, naive + 86_400_000);
  const first = naive - Math.max(before, after);
  const second = naive - Math.min(before, after);
  const firstOk = intlOffset(zone, first) === Math.max(before, after);
  const secondOk = intlOffset(zone, second) === Math.min(before, after);
  if (firstOk) return first;
  if (secondOk) return second;
  // In a gap: neither offset reads back; use the offset in force before the jump.
  return naive - before;
}

/** An instant as ISO 8601 in UTC with milliseconds (`2026-11-24T08:00:00.000Z`), or undefined. */
export function toIso(instant: number): string | undefined {
  if (!Number.isFinite(instant)) return undefined;
  const second = Math.floor(instant / 1000);
  const slot = second & (ISO_SLOTS - 1);
  if (isoSeconds[slot] === second) return (isoPrefixes[slot] as string) + millisText(instant - second * 1000);
  const date = new Date(instant);
  const year = date.getUTCFullYear();
  if (year < MIN_YEAR - 1 || year > MAX_YEAR + 1) return undefined;
  const iso = date.toISOString();
  if (iso.length === 24) {
    isoSeconds[slot] = second;
    isoPrefixes[slot] = iso.slice(0, 20);
  }
  return iso;
}

// Lines mostly carry the second of the line before (and events format two instants, the line's
// and the receive time): a small direct-mapped memo of recent seconds' text up to the millis.
const ISO_SLOTS = 8;
const isoSeconds = new Float64Array(ISO_SLOTS).fill(Number.NaN);
const isoPrefixes: string[] = new Array<string>(ISO_SLOTS).fill('');

/** `ms` (0–999) as three digits and the closing `Z`. */
function millisText(ms: number): string {
  return ms < 10 ? `00${ms}Z` : ms < 100 ? `0${ms}Z` : `${ms}Z`;
}

// How far ahead of the receive time a year-less timestamp may be and still be read as this year
// (or next): sender clocks run ahead by seconds to hours, a wrong zone by up to 14 h. Anything
// further ahead is a line written months ago (a file read from its beginning, a spool replay).
const MAX_FUTURE_MS = 31 * 86_400_000;

/**
 * The year for a year-less timestamp: the latest of last year, this year and next year (in the
 * zone, as of `receivedAt`) that does not put the time more than a month after it was received.
 * So a 31 Dec message received on 1 Jan is last year's, a 1 Jan message received on 31 Dec (sender
 * clock ahead) is next year's, and an 18 Feb line read on 24 Nov is this February's, not next.
 * Undefined when no candidate year has that date (29 Feb) or the zone is unknown.
 */
export function inferYear(month: number, day: number, hour: number, minute: number, second: number, zone: string, receivedAt: number): number | undefined {
  const offset = zoneOffsetAt(zone, receivedAt);
  if (offset === undefined) return undefined;
  const receivedWall = receivedAt + offset;
  const thisYear = new Date(receivedWall).getUTCFullYear();
  if (!Number.isFinite(thisYear)) return undefined;
  for (let year = thisYear + 1; year >= thisYear - 1; year--) {
    if (day > daysInMonth(year, month)) continue;
    const naive = wallToNaiveMs({ year, month, day, hour, minute, second, millisecond: 0 });
    if (naive - receivedWall <= MAX_FUTURE_MS) return year;
  }
  return undefined;
}
