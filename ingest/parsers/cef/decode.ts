/**
 * The ArcSight Common Event Format decoder shared by the generic `cef` parser and the vendor
 * parsers whose devices speak CEF (Trend Micro Deep Security):
 * `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`.
 *
 * Header fields escape `\|` and `\\`; extension values escape `\=`, `\\`, `\n` and `\r`, and a
 * value runs (spaces included) up to the space before the next unescaped ` key=`.
 */

/** One decoded CEF record. */
export interface CefRecord {
  readonly version: string;
  readonly vendor: string;
  readonly product: string;
  readonly deviceVersion: string;
  readonly signatureId: string;
  readonly name: string;
  readonly severity: string;
  /** Extension pairs in order of appearance; a repeated key keeps its first value. */
  readonly extensions: ReadonlyMap<string, string>;
}

const HEADER_FIELDS = 7;
// A line past this many pairs is not a CEF event worth mapping key by key; the rest is ignored.
const MAX_EXTENSIONS = 256;

function unescapeHeader(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i] as string;
    if (char === '\\' && i + 1 < raw.length) {
      const next = raw[i + 1] as string;
      if (next === '|' || next === '\\') {
        out += next;
        i++;
        continue;
      }
    }
    out += char;
  }
  return out;
}

function unescapeValue(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i] as string;
    if (char === '\\' && i + 1 < raw.length) {
      const next = raw[i + 1] as string;
      if (next === 'n') out += '\n';
      else if (next === 'r') out += '\r';
      else if (next === '=' || next === '\\' || next === '|') out += next;
      else out += char + next;
      i++;
      continue;
    }
    out += char;
  }
  return out;
}

function isKeyChar(code: number): boolean {
  // Letters, digits, `_`, `.`, `-`, and `[` `]` that some vendors put in keys (ad.Key[0]).
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 46 || code === 45 || code === 91 || code === 93;
}

/** Whether the character at `pos` is escaped by an odd run of backslashes before it. */
function isEscaped(text: string, pos: number): boolean {
  let count = 0;
  for (let i = pos - 1; i >= 0 && text.charCodeAt(i) === 92; i--) count++;
  return count % 2 === 1;
}

/**
 * Splits a CEF extension into pairs. Each unescaped `=` preceded by a run of key characters that
 * starts the extension or follows a space opens a pair; the previous value ends at that space.
 * Every character is visited a bounded number of times (the back-scans stop at the previous `=`).
 */
export function decodeExtension(extension: string): Map<string, string> {
  const pairs = new Map<string, string>();
  let key: string | undefined;
  let valueStart = 0;
  let searchFrom = 0;
  while (pairs.size < MAX_EXTENSIONS) {
    const eq = extension.indexOf('=', searchFrom);
    if (eq < 0) break;
    searchFrom = eq + 1;
    if (isEscaped(extension, eq)) continue;
    let start = eq;
    while (start > 0 && isKeyChar(extension.charCodeAt(start - 1))) start--;
    if (start === eq || (start > 0 && extension.charCodeAt(start - 1) !== 32)) continue;
    if (key !== undefined) {
      const value = unescapeValue(extension.slice(valueStart, start).trimEnd());
      if (!pairs.has(key)) pairs.set(key, value);
    }
    key = extension.slice(start, eq);
    valueStart = eq + 1;
  }
  if (key !== undefined && !pairs.has(key) && pairs.size < MAX_EXTENSIONS) pairs.set(key, unescapeValue(extension.slice(valueStart).trimEnd()));
  return pairs;
}

/** Where `CEF:` starts in `text` (a relay may put its own header before it), or -1. */
export function cefStart(text: string): number {
  if (text.startsWith('CEF:')) return 0;
  // Bounded so a long line without CEF costs one indexOf, not a scan per candidate.
  return text.indexOf('CEF:');
}

/**
 * Decodes a CEF record found anywhere in `text` (after a syslog header or a relay prefix), or
 * returns undefined when the seven header fields are not all there.
 */
export function decodeCef(text: string): CefRecord | undefined {
  const start = cefStart(text);
  if (start < 0) return undefined;
  const fields: string[] = [];
  let fieldStart = start + 4;
  let pos = fieldStart;
  while (fields.length < HEADER_FIELDS) {
    const bar = text.indexOf('|', pos);
    if (bar < 0) return undefined;
    if (isEscaped(text, bar)) {
      pos = bar + 1;
      continue;
    }
    fields.push(unescapeHeader(text.slice(fieldStart, bar)));
    fieldStart = bar + 1;
    pos = fieldStart;
  }
  const [version, vendor, product, deviceVersion, signatureId, name, severity] = fields as [string, string, string, string, string, string, string];
  if (!/^\d{1,3}(?:\.\d{1,3})?$/.test(version.trim())) return undefined;
  return {
    version: version.trim(),
    vendor,
    product,
    deviceVersion,
    signatureId,
    name,
    severity: severity.trim(),
    extensions: decodeExtension(text.slice(fieldStart)),
  };
}
