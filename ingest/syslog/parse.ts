/**
 * The syslog decoder shared by the pipeline (syslog records, and file lines it tries as syslog):
 * bytes in, a {@link SyslogMessage} out. Pure and total: it never throws, whatever the input.
 */
import { isUtf8 } from 'node:buffer';
import type { Draft } from './draft.js';
import { parseRfc3164 } from './rfc3164.js';
import { looksLikeRfc5424, parseRfc5424 } from './rfc5424.js';

/** One decoded syslog message. Fields the message did not carry are absent. */
export interface SyslogMessage {
  readonly format: 'rfc5424' | 'rfc3164' | 'unknown';
  readonly priority?: number;
  readonly facility?: number;
  readonly severity?: number;
  readonly version?: number;
  /** ISO-8601 with offset (UTC 'Z' form, ms precision), from the message; absent when it had none or it was unusable. */
  readonly timestamp?: string;
  readonly hostname?: string;
  readonly appName?: string;
  readonly procId?: string;
  readonly msgId?: string;
  readonly structuredData?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly message: string;
  /** Short codes of what was odd but tolerated: bad_pri, no_hostname, yearless_timestamp, bad_timestamp, bad_structured_data, invalid_utf8, nul_bytes, ... */
  readonly anomalies: readonly string[];
}

/** How to read what the message leaves implicit. */
export interface SyslogParseOptions {
  /** When the record was received, ms since the epoch: picks the year of a year-less timestamp. */
  readonly receivedAt: number;
  /** IANA zone (or `UTC`, `+01:00`) for timestamps written without an offset. */
  readonly timezone: string;
}

// Beyond this a frame is not a syslog message; decoding it whole could exceed V8's string limit.
const MAX_DECODE_BYTES = 16 * 1024 * 1024;
const REPLACEMENT = '\uFFFD';

/** Bytes or text to a string, flagging invalid UTF-8 (decoded with U+FFFD) and an oversize input. */
function decode(data: Buffer | string, anomalies: string[]): string {
  if (typeof data === 'string') return data;
  let bytes = data;
  if (bytes.length > MAX_DECODE_BYTES) {
    anomalies.push('oversized');
    bytes = bytes.subarray(0, MAX_DECODE_BYTES);
  }
  if (!isUtf8(bytes)) anomalies.push('invalid_utf8');
  return bytes.toString('utf8');
}

/** Drops one trailing LF or CRLF (and NULs some senders append), and replaces other NULs. */
function clean(raw: string, anomalies: string[]): string {
  let text = raw;
  let end = text.length;
  let nul = false;
  while (end > 0 && text.charCodeAt(end - 1) === 0) {
    end--;
    nul = true;
  }
  if (end > 0 && text.charCodeAt(end - 1) === 10) {
    end--;
    if (end > 0 && text.charCodeAt(end - 1) === 13) end--;
  }
  if (end !== text.length) text = text.slice(0, end);
  if (text.includes('\0')) {
    // NUL ends a C string in many consumers downstream (and in SQLite's FTS tokenizer input).
    text = text.replaceAll('\0', REPLACEMENT);
    nul = true;
  }
  if (nul) anomalies.push('nul_bytes');
  // A byte order mark before the whole frame (some Windows agents) is not part of any field.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

/** Reads `<PRI>` at the start: the value (or -1 for a malformed one) and where the rest starts. */
function scanPri(text: string): { priority: number | undefined; next: number; bad: boolean } {
  if (text.charCodeAt(0) !== 60) return { priority: undefined, next: 0, bad: false };
  let pos = 1;
  let value = 0;
  while (pos < text.length && pos <= 11) {
    const code = text.charCodeAt(pos);
    if (code < 48 || code > 57) break;
    value = value * 10 + (code - 48);
    pos++;
  }
  const digits = pos - 1;
  // `<abc>` or `<` alone is not a PRI at all (an XML line in a file): leave the text alone.
  if (digits === 0 || text.charCodeAt(pos) !== 62) return { priority: undefined, next: 0, bad: digits > 0 };
  if (digits > 3 || value > 191) return { priority: undefined, next: pos + 1, bad: true };
  return { priority: value, next: pos + 1, bad: false };
}

function freeze(draft: Draft): SyslogMessage {
  const message: { -readonly [K in keyof SyslogMessage]: SyslogMessage[K] } = { format: draft.format, message: draft.message, anomalies: draft.anomalies };
  if (draft.priority !== undefined) {
    message.priority = draft.priority;
    message.facility = draft.priority >> 3;
    message.severity = draft.priority & 7;
  }
  if (draft.version !== undefined) message.version = draft.version;
  if (draft.timestamp !== undefined) message.timestamp = draft.timestamp;
  if (draft.hostname !== undefined) message.hostname = draft.hostname;
  if (draft.appName !== undefined) message.appName = draft.appName;
  if (draft.procId !== undefined) message.procId = draft.procId;
  if (draft.msgId !== undefined) message.msgId = draft.msgId;
  if (draft.structuredData !== undefined) message.structuredData = draft.structuredData;
  return message;
}

function parseText(text: string, options: SyslogParseOptions, anomalies: string[]): SyslogMessage {
  const decodingAnomalies = anomalies.length;
  const draft: Draft = { format: 'unknown', message: text, anomalies };
  const pri = scanPri(text);
  if (pri.bad) anomalies.push('bad_pri');
  if (pri.priority !== undefined) draft.priority = pri.priority;
  const hadPri = pri.next > 0;
  if (!hadPri) anomalies.push('no_pri');
  const context = { receivedAt: options.receivedAt, timezone: options.timezone };
  if (hadPri && looksLikeRfc5424(text, pri.next)) parseRfc5424(text, pri.next, draft, context);
  else parseRfc3164(text, pri.next, draft, context, hadPri);
  if (draft.format === 'unknown') {
    // Not syslog: the whole line is the message and header guesses are dropped.
    anomalies.length = decodingAnomalies;
    if (pri.bad) anomalies.push('bad_pri');
    return { format: 'unknown', message: text, anomalies };
  }
  return freeze(draft);
}

/**
 * Decodes one syslog frame (RFC 5424, RFC 3164 and the variants real senders emit). Never throws:
 * a frame that is not syslog comes back as format 'unknown' with the whole text as its message.
 */
export function parseSyslog(data: Buffer | string, options: SyslogParseOptions): SyslogMessage {
  const anomalies: string[] = [];
  let text = '';
  try {
    text = clean(decode(data, anomalies), anomalies);
    return parseText(text, options, anomalies);
  } catch {
    // Unreachable by the fuzz tests; kept so a bug found in production costs one record's header, not the batch.
    return { format: 'unknown', message: text, anomalies: [...anomalies, 'parser_error'] };
  }
}
