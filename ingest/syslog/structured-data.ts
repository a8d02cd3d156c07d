/**
 * RFC 5424 STRUCTURED-DATA: `[id name="value" ...][id2 ...]`, with the escapes `\"`, `\\` and `\]`
 * inside values (RFC 5424 §6.3.3).
 */

/** Parsed elements by SD-ID, each a map of PARAM-NAME to PARAM-VALUE. */
export type StructuredData = Record<string, Record<string, string>>;

/** The outcome of scanning structured data. */
export interface StructuredDataScan {
  /** Absent when the elements could not be parsed; the caller keeps the text in the message. */
  readonly data?: StructuredData;
  /** Index just after the last `]` (or where parsing gave up). */
  readonly end: number;
  /** Something was off: unparseable, or tolerated (a space around `=`, a repeated SD-ID). */
  readonly anomaly: boolean;
}

const SPACE = 32;
const QUOTE = 34;
const EQUALS = 61;
const OPEN = 91;
const BACKSLASH = 92;
const CLOSE = 93;

/** SD-NAME is printable US-ASCII except `=`, space, `]` and `"` (RFC 5424 §6.3.2). */
function isNameChar(code: number): boolean {
  return code > SPACE && code < 127 && code !== EQUALS && code !== CLOSE && code !== QUOTE;
}

// A plain assignment of '__proto__' would replace the object's prototype: define it as data.
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function scanName(text: string, pos: number): number {
  let end = pos;
  while (end < text.length && isNameChar(text.charCodeAt(end))) end++;
  return end;
}

/**
 * Scans one or more SD-ELEMENTs starting at the `[` at `start`. Tolerates spaces around `=` (the
 * RFC's own example 4 has one) and repeated SD-IDs or names (the first wins), flagging both.
 */
export function scanStructuredData(text: string, start: number): StructuredDataScan {
  const data: StructuredData = {};
  let anomaly = false;
  let pos = start;
  while (text.charCodeAt(pos) === OPEN) {
    pos++;
    const idEnd = scanName(text, pos);
    if (idEnd === pos) return { end: pos, anomaly: true };
    const id = text.slice(pos, idEnd);
    pos = idEnd;
    const params: Record<string, string> = {};
    for (;;) {
      const code = text.charCodeAt(pos);
      if (code === CLOSE) {
        pos++;
        break;
      }
      if (code !== SPACE) return { end: pos, anomaly: true };
      while (text.charCodeAt(pos) === SPACE) pos++;
      if (text.charCodeAt(pos) === CLOSE) {
        anomaly = true;
        continue;
      }
      const nameEnd = scanName(text, pos);
      if (nameEnd === pos) return { end: pos, anomaly: true };
      const name = text.slice(pos, nameEnd);
      pos = nameEnd;
      if (text.charCodeAt(pos) === SPACE) {
        anomaly = true;
        while (text.charCodeAt(pos) === SPACE) pos++;
      }
      if (text.charCodeAt(pos) !== EQUALS) return { end: pos, anomaly: true };
      pos++;
      if (text.charCodeAt(pos) === SPACE) {
        anomaly = true;
        while (text.charCodeAt(pos) === SPACE) pos++;
      }
      if (text.charCodeAt(pos) !== QUOTE) return { end: pos, anomaly: true };
      pos++;
      // Copy runs between escapes in slices rather than char by char.
      let value = '';
      let runStart = pos;
      for (;;) {
        if (pos >= text.length) return { end: pos, anomaly: true };
        const c = text.charCodeAt(pos);
        if (c === QUOTE) break;
        if (c === BACKSLASH) {
          const next = text.charCodeAt(pos + 1);
          if (next === QUOTE || next === BACKSLASH || next === CLOSE) {
            value += text.slice(runStart, pos);
            runStart = pos + 1;
            pos += 2;
            continue;
          }
          // Any other backslash is kept as written (RFC 5424 §6.3.3).
        }
        pos++;
      }
      value += text.slice(runStart, pos);
      pos++;
      if (Object.prototype.hasOwnProperty.call(params, name)) anomaly = true;
      else setOwn(params, name, value);
    }
    if (Object.prototype.hasOwnProperty.call(data, id)) anomaly = true;
    else setOwn(data, id, params);
  }
  return { data, end: pos, anomaly };
}
