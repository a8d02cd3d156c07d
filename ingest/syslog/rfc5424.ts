/**
 * RFC 5424 after the PRI: `VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP
 * STRUCTURED-DATA [SP MSG]`, with `-` (NILVALUE) for any absent header field.
 */
import type { Draft, ParseContext } from './draft.js';
import { flag, setWallTimestamp, stripBom, tokenEnd } from './draft.js';
import { scanStructuredData } from './structured-data.js';
import { scanIsoTimestamp } from './timestamp.js';

/**
 * Whether the text at `pos` (just after the PRI) starts like RFC 5424: a 1-3 digit version, a space,
 * then `-` or a date. The date check keeps `<13>1 Oct 11 ...` or a Cisco `<189>12: ...` out.
 */
export function looksLikeRfc5424(text: string, pos: number): boolean {
  let end = pos;
  while (end < text.length && end - pos < 3) {
    const code = text.charCodeAt(end);
    if (code < 48 || code > 57) break;
    end++;
  }
  if (end === pos || text.charCodeAt(pos) === 48 || text.charCodeAt(end) !== 32) return false;
  const next = text.charCodeAt(end + 1);
  if (next === 45) {
    const after = text.charCodeAt(end + 2);
    return after === 32 || Number.isNaN(after);
  }
  return scanIsoTimestamp(text, end + 1) !== undefined;
}

/** Reads one header field; `-` (NILVALUE) and a missing field give undefined. */
function field(text: string, pos: number): { value: string | undefined; next: number } {
  if (pos > text.length) return { value: undefined, next: pos };
  const end = tokenEnd(text, pos);
  const value = text.slice(pos, end);
  return { value: value === '-' || value === '' ? undefined : value, next: end + 1 };
}

/** Parses an RFC 5424 message whose VERSION starts at `pos` (see {@link looksLikeRfc5424}). */
export function parseRfc5424(text: string, pos: number, draft: Draft, context: ParseContext): void {
  draft.format = 'rfc5424';
  const versionEnd = text.indexOf(' ', pos);
  draft.version = Number(text.slice(pos, versionEnd));
  let next = versionEnd + 1;

  const stamp = field(text, next);
  next = stamp.next;
  if (stamp.value !== undefined) {
    const scan = scanIsoTimestamp(stamp.value, 0);
    if (scan?.wall !== undefined && scan.end === stamp.value.length) {
      // RFC 5424 requires an offset; without one, read it in the sender's configured zone.
      if (scan.offsetMs === undefined) flag(draft, 'no_timezone');
      setWallTimestamp(draft, context, scan.wall, scan.offsetMs);
    } else {
      flag(draft, 'bad_timestamp');
    }
  }

  const hostname = field(text, next);
  const appName = field(text, hostname.next);
  const procId = field(text, appName.next);
  const msgId = field(text, procId.next);
  next = msgId.next;
  if (hostname.value !== undefined) draft.hostname = hostname.value;
  if (appName.value !== undefined) draft.appName = appName.value;
  if (procId.value !== undefined) draft.procId = procId.value;
  if (msgId.value !== undefined) draft.msgId = msgId.value;
  if (next > text.length) {
    // The header stopped before STRUCTURED-DATA: keep what there was.
    flag(draft, 'short_header');
    draft.message = '';
    return;
  }

  const sdStart = next;
  const code = text.charCodeAt(sdStart);
  if (code === 45) {
    next = sdStart + 1;
  } else if (code === 91) {
    const scan = scanStructuredData(text, sdStart);
    if (scan.anomaly) flag(draft, 'bad_structured_data');
    if (scan.data === undefined) {
      // Unparseable structured data stays in the message, so nothing the sender wrote is lost.
      draft.message = stripBom(text.slice(sdStart));
      return;
    }
    draft.structuredData = scan.data;
    next = scan.end;
  } else {
    flag(draft, 'bad_structured_data');
    draft.message = stripBom(text.slice(sdStart));
    return;
  }
  if (text.charCodeAt(next) === 32) next++;
  draft.message = stripBom(text.slice(next));
}
