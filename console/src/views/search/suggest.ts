/** What is being typed at the caret: a field name, or a value of a field. */
export type TokenContext =
  | { readonly kind: 'field'; readonly prefix: string; readonly start: number; readonly end: number }
  | { readonly kind: 'value'; readonly field: string; readonly prefix: string; readonly start: number; readonly end: number };

const KEYWORDS = new Set(['and', 'or', 'not']);
/** A field name as GET /api/v1/events/terms takes it. */
export const FIELD_NAME = /^[A-Za-z0-9_@][A-Za-z0-9_@.]*$/;

/**
 * The token under the caret: from the last space or parenthesis before it (a quote opened in a
 * value is part of the value) to the caret. `user.na` is a field; `user.name:ro` a value of
 * `user.name`; a keyword or nothing at all is neither.
 */
export function tokenAt(query: string, caret: number): TokenContext | undefined {
  let start = caret;
  let inQuote = false;
  // Quotes before the caret decide whether a space ends the token.
  for (let i = 0; i < caret; i += 1) if (query[i] === '"' && query[i - 1] !== '\\') inQuote = !inQuote;
  while (start > 0) {
    const c = query[start - 1] as string;
    if (c === '"' && query[start - 2] !== '\\') inQuote = !inQuote;
    if (!inQuote && (c === ' ' || c === '(' || c === ')' || c === '\t' || c === '\n')) break;
    start -= 1;
  }
  const token = query.slice(start, caret);
  const colon = token.indexOf(':');
  if (colon > 0) {
    const field = token.slice(0, colon);
    if (!FIELD_NAME.test(field)) return undefined;
    return { kind: 'value', field, prefix: token.slice(colon + 1).replace(/^"/, ''), start, end: caret };
  }
  if (token === '' || token.startsWith('"') || KEYWORDS.has(token.toLowerCase()) || !/^[A-Za-z0-9_@.-]+$/.test(token)) return undefined;
  return { kind: 'field', prefix: token, start, end: caret };
}

/** A value as KQL needs it: bare when it is a plain word, else quoted with `"` and `\` escaped. */
export function kqlValue(value: string | number | boolean): string {
  const text = String(value);
  if (/^[A-Za-z0-9_.@\-/]+$/.test(text) && !KEYWORDS.has(text.toLowerCase())) return text;
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The query with the token replaced by `insert`, and the caret after it. */
export function replaceToken(query: string, context: TokenContext, insert: string): { readonly query: string; readonly caret: number } {
  const before = query.slice(0, context.start) + insert;
  return { query: before + query.slice(context.end), caret: before.length };
}

/** Field names starting with (or else containing) the prefix, starting-with first, at most `limit`. */
export function matchFields(fields: readonly string[], prefix: string, limit = 12): string[] {
  const lower = prefix.toLowerCase();
  const starts = fields.filter((f) => f.toLowerCase().startsWith(lower));
  const contains = fields.filter((f) => !f.toLowerCase().startsWith(lower) && f.toLowerCase().includes(lower));
  return [...starts, ...contains].slice(0, limit);
}
