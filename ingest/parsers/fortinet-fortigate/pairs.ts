/**
 * FortiOS key=value pairs, all of them (ingest/syslog/key-value.ts reads only the few its header
 * needs): quoted or bare values, `N/A` kept as written, and the `|` some relays paste after the last
 * quote is left out of the value.
 */

function isKeyChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 46 || code === 45;
}

/** Every `key=value` of `text` from `start`; the first occurrence of a key wins. */
export function parsePairs(text: string, start = 0): Map<string, string> {
  const pairs = new Map<string, string>();
  const length = text.length;
  let pos = start;
  while (pos < length) {
    while (pos < length && text.charCodeAt(pos) === 32) pos++;
    const keyStart = pos;
    while (pos < length && pos - keyStart < 64 && isKeyChar(text.charCodeAt(pos))) pos++;
    if (pos === keyStart || text.charCodeAt(pos) !== 61) {
      // Not a pair (a relay's prefix, stray text): resynchronise at the next space.
      const space = text.indexOf(' ', pos + 1);
      if (space < 0) break;
      pos = space;
      continue;
    }
    const key = text.slice(keyStart, pos);
    pos++;
    let value: string;
    if (text.charCodeAt(pos) === 34) {
      const close = text.indexOf('"', pos + 1);
      const end = close < 0 ? length : close;
      value = text.slice(pos + 1, end);
      pos = end + 1;
      // Skip whatever is glued to the closing quote (`"|`) up to the next space.
      while (pos < length && text.charCodeAt(pos) !== 32) pos++;
    } else {
      const space = text.indexOf(' ', pos);
      const end = space < 0 ? length : space;
      value = text.slice(pos, end);
      pos = end;
    }
    if (!pairs.has(key)) pairs.set(key, value);
  }
  return pairs;
}
