/**
 * Header-less key=value messages (Fortinet FortiGate: `<189>date=2026-11-24 time=09:00:00
 * devname="FGT" ...`): no syslog header, so the timestamp and host come from the pairs.
 */
import type { Draft, ParseContext } from './draft.js';
import { flag, setWallTimestamp } from './draft.js';
import type { WallTime } from './timestamp.js';
import { daysInMonth } from './timestamp.js';

function isKeyChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 46 || code === 45;
}

/** Whether a `key=` starts at `pos` (a letter or `_`, then up to 63 key characters, then `=`). */
export function isKeyValueAt(text: string, pos: number): boolean {
  const first = text.charCodeAt(pos);
  if (!((first >= 97 && first <= 122) || (first >= 65 && first <= 90) || first === 95)) return false;
  let end = pos + 1;
  while (end < text.length && end - pos < 64 && isKeyChar(text.charCodeAt(end))) end++;
  return text.charCodeAt(end) === 61;
}

/** The few keys the header needs; the message keeps all of them. */
interface HeaderPairs {
  date?: string;
  time?: string;
  tz?: string;
  devname?: string;
}

function collectPairs(text: string, start: number): HeaderPairs {
  const pairs: HeaderPairs = {};
  let pos = start;
  const length = text.length;
  while (pos < length) {
    while (text.charCodeAt(pos) === 32) pos++;
    const keyStart = pos;
    while (pos < length && isKeyChar(text.charCodeAt(pos))) pos++;
    const keyEnd = pos;
    if (text.charCodeAt(pos) !== 61 || keyEnd === keyStart) {
      // Not a pair: skip to the next space and resynchronise.
      const space = text.indexOf(' ', pos);
      if (space < 0) break;
      pos = space;
      continue;
    }
    pos++;
    let value: string;
    if (text.charCodeAt(pos) === 34) {
      const close = text.indexOf('"', pos + 1);
      const end = close < 0 ? length : close;
      value = text.slice(pos + 1, end);
      pos = end + 1;
    } else {
      const space = text.indexOf(' ', pos);
      const end = space < 0 ? length : space;
      value = text.slice(pos, end);
      pos = end;
    }
    switch (text.slice(keyStart, keyEnd)) {
      case 'date': pairs.date ??= value; break;
      case 'time': pairs.time ??= value; break;
      case 'tz': pairs.tz ??= value; break;
      case 'devname': pairs.devname ??= value; break;
      default: break;
    }
  }
  return pairs;
}

function parseFixedDigits(text: string, pos: number, count: number): number {
  let value = 0;
  for (let i = pos; i < pos + count; i++) {
    const code = text.charCodeAt(i);
    if (!(code >= 48 && code <= 57)) return -1;
    value = value * 10 + (code - 48);
  }
  return value;
}

/** `2026-11-24` (or `2026/11/24`) and `09:00:00` as a wall time, if both are well-formed. */
function wallFrom(date: string, time: string): WallTime | undefined {
  if (date.length !== 10 || time.length < 8) return undefined;
  const sep = date.charCodeAt(4);
  if ((sep !== 45 && sep !== 47) || date.charCodeAt(7) !== sep || time.charCodeAt(2) !== 58 || time.charCodeAt(5) !== 58) return undefined;
  const year = parseFixedDigits(date, 0, 4);
  const month = parseFixedDigits(date, 5, 2);
  const day = parseFixedDigits(date, 8, 2);
  const hour = parseFixedDigits(time, 0, 2);
  const minute = parseFixedDigits(time, 3, 2);
  const second = parseFixedDigits(time, 6, 2);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return undefined;
  return { year, month, day, hour, minute, second, millisecond: 0 };
}

/** FortiOS writes `tz="+0100"`; anything else (a name) is left to the configured zone. */
function offsetFrom(tz: string | undefined): number | undefined {
  if (tz === undefined || tz.length !== 5) return undefined;
  const sign = tz.charCodeAt(0);
  if (sign !== 43 && sign !== 45) return undefined;
  const hours = parseFixedDigits(tz, 1, 2);
  const minutes = parseFixedDigits(tz, 3, 2);
  if (hours < 0 || minutes < 0 || hours > 23 || minutes > 59) return undefined;
  const ms = (hours * 60 + minutes) * 60_000;
  return sign === 45 ? -ms : ms;
}

/** Parses a header-less key=value message starting at `pos`; the whole text after the PRI is the message. */
export function parseKeyValue(text: string, pos: number, draft: Draft, context: ParseContext): void {
  draft.format = 'rfc3164';
  draft.message = text.slice(pos);
  const pairs = collectPairs(text, pos);
  if (pairs.devname !== undefined && pairs.devname !== '') draft.hostname = pairs.devname;
  else flag(draft, 'no_hostname');
  if (pairs.date === undefined || pairs.time === undefined) {
    flag(draft, 'no_timestamp');
    return;
  }
  const wall = wallFrom(pairs.date, pairs.time);
  if (!wall) {
    flag(draft, 'bad_timestamp');
    return;
  }
  setWallTimestamp(draft, context, wall, offsetFrom(pairs.tz));
}
