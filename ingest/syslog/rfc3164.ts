/**
 * RFC 3164 ("BSD syslog") after the PRI, as real senders write it: `TIMESTAMP HOSTNAME TAG: MSG`
 * with a missing hostname, a year, milliseconds, an RFC 3339 timestamp (rsyslog's high-precision
 * file format), Cisco IOS headers (`123: *Mar  1 18:46:11.123 UTC: %SYS-5-CONFIG_I: ...`),
 * header-less key=value (Fortinet), and a tag with or without `[pid]` and `:`.
 */
import type { Draft, ParseContext } from './draft.js';
import { flag, setBsdTimestamp, setWallTimestamp, skipSpaces, stripBom, tokenEnd } from './draft.js';
import { isKeyValueAt, parseKeyValue } from './key-value.js';
import { scanBsdTimestamp, scanIsoTimestamp } from './timestamp.js';

const COLON = 58;
const OPEN = 91;
const CLOSE = 93;
const SPACE = 32;
const TAB = 9;
const PERCENT = 37;
// RFC 3164 caps the tag at 32 characters; rsyslog accepts longer ones, and so do we up to a point
// beyond which the token is more likely message text than a program name.
const MAX_TAG = 128;

function isDigits(text: string, start: number, end: number): boolean {
  if (end <= start || end - start > 10) return false;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/** `123: ` — a Cisco sequence number (`service sequence-numbers`). Returns the index after its colon, or -1. */
function sequenceAt(text: string, pos: number): number {
  const end = tokenEnd(text, pos);
  return end - pos >= 2 && text.charCodeAt(end - 1) === COLON && isDigits(text, pos, end - 1) ? end : -1;
}

/** Whether a Cisco timestamp or sequence number starts at `pos` (what follows a device name prefix). */
function ciscoHeaderAt(text: string, pos: number): boolean {
  return sequenceAt(text, pos) >= 0 || scanBsdTimestamp(text, pos) !== undefined;
}

/** A token that is a tag rather than a hostname: it ends with `:` or holds `[` (`su:`, `sshd[42]`). */
function isTagToken(text: string, start: number, end: number): boolean {
  if (text.charCodeAt(end - 1) === COLON) return true;
  const open = text.indexOf('[', start);
  return open >= 0 && open < end;
}

/**
 * Reads TAG (`app`, `app:`, `app[123]:`) at `pos` and sets appName, procId and the message. A tag
 * ends at a space, a tab (Snare's tab-separated fields), `:` or `[`, as RFC 3164 §5.3 has it.
 */
function parseTag(text: string, pos: number, draft: Draft): void {
  const length = text.length;
  if (pos >= length) {
    draft.message = '';
    return;
  }
  if (text.charCodeAt(pos) === OPEN || isKeyValueAt(text, pos)) {
    draft.message = stripBom(text.slice(pos));
    return;
  }
  let i = pos;
  while (i < length && i - pos <= MAX_TAG) {
    const code = text.charCodeAt(i);
    if (code === SPACE || code === TAB || code === COLON || code === OPEN) break;
    i++;
  }
  if (i - pos > MAX_TAG) {
    draft.message = stripBom(text.slice(pos));
    return;
  }
  const name = text.slice(pos, i);
  if (text.charCodeAt(i) === OPEN) {
    let close = i + 1;
    while (close < length && close - i <= MAX_TAG) {
      const code = text.charCodeAt(close);
      if (code === CLOSE || code === SPACE) break;
      close++;
    }
    if (text.charCodeAt(close) === CLOSE) {
      if (close > i + 1) draft.procId = text.slice(i + 1, close);
      i = close + 1;
    }
  }
  if (text.charCodeAt(i) === COLON) i++;
  const after = text.charCodeAt(i);
  if (after === SPACE || after === TAB) i++;
  if (name !== '') draft.appName = name;
  draft.message = stripBom(text.slice(i));
}

/** Cisco: the rest (from `%FACILITY-SEVERITY-MNEMONIC:` on) is the message. */
function finishCisco(text: string, pos: number, draft: Draft): void {
  if (draft.hostname === undefined) flag(draft, 'no_hostname');
  draft.message = stripBom(text.slice(skipSpaces(text, pos)));
}

/**
 * Parses an RFC 3164-like message starting at `start` (just after the PRI, or the start of a line
 * with none). Sets `draft.format` to 'unknown' when a line without PRI has no syslog timestamp, so
 * a plain file line is not mistaken for syslog.
 */
export function parseRfc3164(text: string, start: number, draft: Draft, context: ParseContext, hadPri: boolean): void {
  let pos = skipSpaces(text, start);
  let cisco = false;

  // Cisco IOS may put a sequence number and the device's name before its timestamp, in either order.
  if (hadPri) {
    for (let i = 0; i < 2; i++) {
      const end = tokenEnd(text, pos);
      if (end - pos < 2 || text.charCodeAt(end - 1) !== COLON || end >= text.length) break;
      const next = skipSpaces(text, end);
      if (isDigits(text, pos, end - 1)) {
        cisco = true;
        pos = next;
      } else if (draft.hostname === undefined && ciscoHeaderAt(text, next)) {
        draft.hostname = text.slice(pos, end - 1);
        cisco = true;
        pos = next;
      } else break;
    }
  }

  let stamped = false;
  let iso = false;
  const bsd = scanBsdTimestamp(text, pos);
  if (bsd) {
    stamped = true;
    pos = bsd.end;
    if (bsd.mark !== '') cisco = true;
    // `*` is IOS saying its clock is not authoritative (typically 1 March after a reboot without
    // NTP): such a time would misplace the event by months, so the receive time is used instead.
    if (bsd.mark === '*') flag(draft, 'unsynced_clock');
    else setBsdTimestamp(draft, context, bsd);
    if (bsd.colon && text.charCodeAt(skipSpaces(text, pos)) === PERCENT) cisco = true;
  } else {
    const scan = scanIsoTimestamp(text, pos);
    if (scan && (scan.end === text.length || text.charCodeAt(scan.end) === SPACE)) {
      stamped = true;
      iso = true;
      pos = scan.end;
      if (scan.wall) setWallTimestamp(draft, context, scan.wall, scan.offsetMs);
      else flag(draft, 'bad_timestamp');
    }
  }

  if (!stamped) {
    if (!hadPri) {
      draft.format = 'unknown';
      return;
    }
    draft.format = 'rfc3164';
    if (cisco) {
      flag(draft, 'no_timestamp');
      finishCisco(text, pos, draft);
      return;
    }
    if (isKeyValueAt(text, pos)) {
      parseKeyValue(text, pos, draft, context);
      return;
    }
    // RFC 3164 §4.3.2: without a timestamp the rest is CONTENT, but a plain `su:` tag is still a tag.
    flag(draft, 'no_timestamp');
    flag(draft, 'no_hostname');
    const end = tokenEnd(text, pos);
    if (end > pos && isTagToken(text, pos, end)) parseTag(text, pos, draft);
    else draft.message = stripBom(text.slice(pos));
    return;
  }

  draft.format = 'rfc3164';
  if (cisco) {
    finishCisco(text, pos, draft);
    return;
  }

  pos = skipSpaces(text, pos);
  const end = tokenEnd(text, pos);
  if (pos >= text.length) {
    flag(draft, 'no_hostname');
    draft.message = '';
    return;
  }
  if (isTagToken(text, pos, end) || isKeyValueAt(text, pos)) {
    flag(draft, 'no_hostname');
  } else {
    const host = text.slice(pos, end);
    if (host === '-') flag(draft, 'no_hostname');
    else draft.hostname = host;
    pos = skipSpaces(text, end);
    // A relay's header in front of a Cisco one: `host 123: Mar  1 18:46:11.123: %SYS-5-...`.
    const sequenceEnd = hadPri ? sequenceAt(text, pos) : -1;
    if (sequenceEnd >= 0) {
      const next = skipSpaces(text, sequenceEnd);
      const own = scanBsdTimestamp(text, next);
      if (own || text.charCodeAt(next) === PERCENT) {
        finishCisco(text, own ? own.end : next, draft);
        return;
      }
    }
  }

  // A line without PRI that starts with an RFC 3339 time is syslog only if a tag follows; many
  // application logs start with such a time too (`2026-11-24T09:00:00Z INFO started`).
  if (!hadPri && iso) {
    const tagEnd = tokenEnd(text, pos);
    if (tagEnd === pos || !isTagToken(text, pos, tagEnd)) {
      draft.format = 'unknown';
      return;
    }
  }
  parseTag(text, pos, draft);
}
