/**
 * How a dotted field path reaches values in a document: the one resolution the streaming
 * predicate (engine/query/event-context.ts) and the SQLite store (backends/sqlite/sql-functions.ts)
 * share, so both see the fields Elasticsearch sees (test/conformance proves they agree).
 */

/** Nesting deeper than this is not followed (a hostile document cannot exhaust the stack). */
export const MAX_PATH_DEPTH = 64;

/**
 * The values at a dotted path. Each object level is tried with every run of the remaining
 * segments as one key, so `url.original` is found as `{url: {original}}`, as
 * `{"url.original": …}` and as any mix of the two (Sigma checklist C17); arrays met on the way or
 * at the end are fanned out, arrays of objects included, as Elasticsearch flattens them (C16).
 * Nulls and undefined are dropped; only own properties count (`constructor` is not a field).
 */
export function resolvePath(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  walk(doc, path.split('.'), 0, out, 0);
  return out;
}

function walk(node: unknown, segments: readonly string[], from: number, out: unknown[], depth: number): void {
  if (node === null || typeof node !== 'object' || depth > MAX_PATH_DEPTH) return;
  if (Array.isArray(node)) {
    for (const element of node) walk(element, segments, from, out, depth + 1);
    return;
  }
  const record = node as Record<string, unknown>;
  let key = '';
  for (let to = from; to < segments.length; to++) {
    key = to === from ? (segments[to] as string) : `${key}.${segments[to] as string}`;
    if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
    const value = record[key];
    if (to === segments.length - 1) emit(value, out, depth);
    else walk(value, segments, to + 1, out, depth + 1);
  }
}

/** Adds a leaf value, fanning arrays out (nested arrays flatten, as in Elasticsearch). */
function emit(value: unknown, out: unknown[], depth: number): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    if (depth > MAX_PATH_DEPTH) return;
    for (const element of value) emit(element, out, depth + 1);
    return;
  }
  out.push(value);
}
