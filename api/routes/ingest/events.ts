/**
 * Splitting an ingest body into events: NDJSON (one JSON object per line) or JSON (an array of
 * objects, or one object). A bad item is rejected on its own, with its index, and never fails the
 * others.
 */

/** Largest event accepted, in bytes of its JSON text. */
export const MAX_EVENT_BYTES = 64 * 1024;

/** Why one item of a body was refused. */
export type RejectReason = 'invalid_json' | 'not_an_object' | 'too_large' | 'invalid_id';

/** One item of a body: an object with its JSON text, or a refusal. */
export type BodyItem =
  | { readonly index: number; readonly object: Readonly<Record<string, unknown>>; readonly text: Buffer }
  | { readonly index: number; readonly reason: RejectReason };

/** The body formats understood. */
export type BodyFormat = 'json' | 'ndjson';

const NEWLINE = 0x0a;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
}

function withoutBom(body: Buffer): Buffer {
  return body.subarray(0, 3).equals(UTF8_BOM) ? body.subarray(3) : body;
}

/**
 * Items of an NDJSON body. `index` is the 0-based line number, blank lines included (and
 * skipped), so a client finds the refused line where it wrote it. Each line's bytes, without its
 * line terminator, are the event's text as received. Stops after `maxItems + 1` items: the caller
 * refuses a body with more than `maxItems`.
 */
export function splitNdjson(body: Buffer, maxItems: number): BodyItem[] {
  const items: BodyItem[] = [];
  const data = withoutBom(body);
  let start = 0;
  for (let index = 0; start <= data.length && items.length <= maxItems; index++) {
    let end = data.indexOf(NEWLINE, start);
    if (end === -1) end = data.length;
    let line = data.subarray(start, end);
    start = end + 1;
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (isBlank(line)) continue;
    items.push(itemOf(index, line));
  }
  return items;
}

function itemOf(index: number, text: Buffer): BodyItem {
  // Checked before parsing, so an oversized line costs no parse.
  if (text.length > MAX_EVENT_BYTES) return { index, reason: 'too_large' };
  let value: unknown;
  try {
    value = JSON.parse(text.toString('utf8'));
  } catch {
    return { index, reason: 'invalid_json' };
  }
  return isObject(value) ? { index, object: value, text } : { index, reason: 'not_an_object' };
}

/**
 * Items of a JSON body: an array gives one item per element (its JSON text re-serialized), an
 * object one item (its text as received). A body that is not one JSON document but has several
 * lines is read as NDJSON, since some shippers label JSON lines `application/json`; otherwise
 * it is one `invalid_json` item at index 0.
 */
export function splitJson(body: Buffer, maxItems: number): BodyItem[] {
  const data = withoutBom(body);
  if (isBlank(data)) return [];
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return data.includes(NEWLINE) ? splitNdjson(data, maxItems) : [{ index: 0, reason: 'invalid_json' }];
  }
  if (!Array.isArray(value)) return [isObject(value) ? sized(0, value, trimmed(data)) : { index: 0, reason: 'not_an_object' }];
  const items: BodyItem[] = [];
  for (const [index, element] of value.entries()) {
    if (items.length > maxItems) break;
    items.push(isObject(element) ? sized(index, element, Buffer.from(JSON.stringify(element), 'utf8')) : { index, reason: 'not_an_object' });
  }
  return items;
}

function sized(index: number, object: Record<string, unknown>, text: Buffer): BodyItem {
  return text.length > MAX_EVENT_BYTES ? { index, reason: 'too_large' } : { index, object, text };
}

function trimmed(data: Buffer): Buffer {
  let start = 0;
  let end = data.length;
  const space = (byte: number | undefined): boolean => byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a;
  while (start < end && space(data[start])) start++;
  while (end > start && space(data[end - 1])) end--;
  return data.subarray(start, end);
}

/** Items of a body in the given format. */
export function splitBody(body: Buffer, format: BodyFormat, maxItems: number): BodyItem[] {
  return format === 'ndjson' ? splitNdjson(body, maxItems) : splitJson(body, maxItems);
}
