/**
 * The mutable message the header parsers fill in, and helpers they share. parse.ts turns it into
 * the frozen-shape {@link SyslogMessage} the rest of Watchpost sees.
 */
import type { StructuredData } from './structured-data.js';
import type { BsdScan, WallTime } from './timestamp.js';
import { inferYear, toIso, zonedWallToUtc } from './timestamp.js';

/** What a header parser fills in. */
export interface Draft {
  format: 'rfc5424' | 'rfc3164' | 'unknown';
  priority?: number;
  version?: number;
  timestamp?: string;
  hostname?: string;
  appName?: string;
  procId?: string;
  msgId?: string;
  structuredData?: StructuredData;
  message: string;
  anomalies: string[];
}

/** The context of one parse: the options and where to report anomalies. */
export interface ParseContext {
  readonly receivedAt: number;
  readonly timezone: string;
}

/** Adds an anomaly code once. */
export function flag(draft: Draft, code: string): void {
  if (!draft.anomalies.includes(code)) draft.anomalies.push(code);
}

/** Index of the first character at or after `pos` that is not a space. */
export function skipSpaces(text: string, pos: number): number {
  while (text.charCodeAt(pos) === 32) pos++;
  return pos;
}

/** Index of the next space (or the end) at or after `pos`. */
export function tokenEnd(text: string, pos: number): number {
  const space = text.indexOf(' ', pos);
  return space < 0 ? text.length : space;
}

/** Removes a UTF-8 byte order mark that starts a message (RFC 5424 §6.4 allows one before MSG). */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Sets the timestamp from a wall time with a known offset (ms east of UTC) or, without one, in the
 * configured zone; flags `bad_timestamp` / `bad_timezone` when that is impossible.
 */
export function setWallTimestamp(draft: Draft, context: ParseContext, wall: WallTime, offsetMs: number | undefined): void {
  let instant: number | undefined;
  if (offsetMs === undefined) {
    instant = zonedWallToUtc(wall, context.timezone);
    if (instant === undefined) {
      flag(draft, 'bad_timezone');
      instant = zonedWallToUtc(wall, 'UTC');
    }
  } else {
    instant = zonedWallToUtc(wall, 'UTC');
    if (instant !== undefined) instant -= offsetMs;
  }
  const iso = instant === undefined ? undefined : toIso(instant);
  if (iso === undefined) flag(draft, 'bad_timestamp');
  else draft.timestamp = iso;
}

/** Sets the timestamp from a scanned BSD timestamp: its year or the nearest one, its zone or the configured one. */
export function setBsdTimestamp(draft: Draft, context: ParseContext, scan: BsdScan): void {
  if (!scan.valid) {
    flag(draft, 'bad_timestamp');
    return;
  }
  let zone = context.timezone;
  let offsetMs: number | undefined;
  if (scan.zoneAbbreviation !== undefined) {
    if (scan.zoneOffsetMs === undefined) flag(draft, 'unknown_timezone');
    else offsetMs = scan.zoneOffsetMs;
  }
  if (offsetMs !== undefined) zone = 'UTC';
  let year = scan.year;
  if (year === undefined) {
    flag(draft, 'yearless_timestamp');
    year = inferYear(scan.month, scan.day, scan.hour, scan.minute, scan.second, zone, context.receivedAt);
    if (year === undefined) {
      // An unknown configured zone: still pick the year by UTC rather than lose the timestamp.
      year = inferYear(scan.month, scan.day, scan.hour, scan.minute, scan.second, 'UTC', context.receivedAt);
    }
    if (year === undefined) {
      flag(draft, 'bad_timestamp');
      return;
    }
  }
  const wall: WallTime = { year, month: scan.month, day: scan.day, hour: scan.hour, minute: scan.minute, second: scan.second, millisecond: scan.millisecond };
  setWallTimestamp(draft, context, wall, offsetMs);
}
