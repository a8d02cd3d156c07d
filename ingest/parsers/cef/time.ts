import { inferYear, isKnownZone, scanBsdTimestamp, scanIsoTimestamp, toIso, wallToNaiveMs, zonedWallToUtc } from '../../syslog/timestamp.js';

/**
 * Reads the timestamps CEF and LEEF devices write in `rt`, `start`, `end`, `devTime`: epoch
 * milliseconds (or seconds), RFC 3339, or `MMM dd [yyyy] HH:mm:ss[.SSS] [zone]`. A wall time
 * without a zone is read in `zone`; a missing year is inferred from `receivedAt`. Returns the
 * ISO instant, or undefined when the value has none of these shapes.
 */
export function parseDeviceTime(value: string, zone: string, receivedAt: number): string | undefined {
  const text = value.trim();
  if (text.length === 0) return undefined;
  if (/^\d{9,13}$/.test(text)) {
    const number = Number(text);
    return toIso(text.length <= 10 ? number * 1000 : number);
  }
  const iso = scanIsoTimestamp(text, 0);
  if (iso?.wall) {
    if (iso.offsetMs !== undefined) return toIso(wallToNaiveMs(iso.wall) - iso.offsetMs);
    const instant = zonedWallToUtc(iso.wall, zone);
    return instant === undefined ? undefined : toIso(instant);
  }
  const bsd = scanBsdTimestamp(text, 0);
  if (!bsd?.valid) return undefined;
  // A trailing zone name (`UTC`, `Europe/Paris`, `+01:00`) after the time wins over the default.
  const rest = text.slice(bsd.end).trim();
  let readZone = zone;
  if (rest.length > 0) {
    if (rest.length > 40 || !isKnownZone(rest)) return undefined;
    readZone = rest;
  }
  const year = bsd.year ?? inferYear(bsd.month, bsd.day, bsd.hour, bsd.minute, bsd.second, readZone, receivedAt);
  if (year === undefined) return undefined;
  const wall = { year, month: bsd.month, day: bsd.day, hour: bsd.hour, minute: bsd.minute, second: bsd.second, millisecond: bsd.millisecond };
  if (bsd.zoneOffsetMs !== undefined) return toIso(wallToNaiveMs(wall) - bsd.zoneOffsetMs);
  const instant = zonedWallToUtc(wall, readZone);
  return instant === undefined ? undefined : toIso(instant);
}
