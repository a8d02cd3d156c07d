/**
 * Sigma string values as runs of literal text and wildcard tokens (checklist D), never as a
 * re-escaped string: a modifier that adds a wildcard after a value ending in a literal backslash
 * (D5) then cannot turn that backslash into an escape. Rendering to the filter AST escapes each
 * literal run once, at the end.
 */
import type { FilterNode } from '../../core/query/filter.js';

/** One piece of a Sigma string. */
export type StringPart =
  | { readonly t: 'lit'; readonly s: string }
  /** `*`: any run of characters, possibly empty. */
  | { readonly t: 'any' }
  /** `?`: exactly one character. */
  | { readonly t: 'one' }
  /** `%name%` in a value carrying `expand` (E21). */
  | { readonly t: 'placeholder'; readonly name: string };

export type SigmaString = readonly StringPart[];

const ANY: StringPart = Object.freeze({ t: 'any' });
const ONE: StringPart = Object.freeze({ t: 'one' });

/**
 * Reads a value as pySigma does (D1, D2, D6): `*` and `?` are wildcards; `\*`, `\?` and `\\` are
 * the literal character; a backslash before anything else, or at the end, is itself literal.
 * With `placeholders` (the `expand` modifier), `%name%` is a placeholder and `\%` a literal `%`.
 */
export function parseSigmaString(text: string, placeholders = false): SigmaString {
  const parts: StringPart[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') parts.push({ t: 'lit', s: literal });
    literal = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === '*' || next === '?' || next === '\\' || (placeholders && next === '%')) {
        literal += next;
        i += 1;
      } else literal += '\\';
    } else if (c === '*' || c === '?') {
      flush();
      parts.push(c === '*' ? ANY : ONE);
    } else if (c === '%' && placeholders) {
      const close = text.indexOf('%', i + 1);
      const name = close < 0 ? '' : text.slice(i + 1, close);
      if (/^[A-Za-z0-9_.-]+$/.test(name)) {
        flush();
        parts.push({ t: 'placeholder', name });
        i = close;
      } else literal += c;
    } else literal += c;
  }
  flush();
  return parts;
}

/** A string made of one literal run (no wildcards). */
export function literalString(text: string): SigmaString {
  return text === '' ? [] : [{ t: 'lit', s: text }];
}

/** True when the string holds a `*` or `?` wildcard. */
export function hasWildcards(value: SigmaString): boolean {
  return value.some((part) => part.t === 'any' || part.t === 'one');
}

/** The literal text of a string without wildcards or placeholders (undefined otherwise). */
export function plainText(value: SigmaString): string | undefined {
  let out = '';
  for (const part of value) {
    if (part.t !== 'lit') return undefined;
    out += part.s;
  }
  return out;
}

/** Joins adjacent literals and collapses `**` into `*` (they match the same values). */
export function normalise(value: SigmaString): SigmaString {
  const out: StringPart[] = [];
  for (const part of value) {
    const last = out[out.length - 1];
    if (part.t === 'lit' && last?.t === 'lit') out[out.length - 1] = { t: 'lit', s: last.s + part.s };
    else if (part.t === 'any' && last?.t === 'any') continue;
    else if (part.t !== 'lit' || part.s !== '') out.push(part);
  }
  return out;
}

/** `contains`/`startswith`/`endswith` (E1–E3): add the wildcard(s), never doubling one already there. */
export function wrapWildcards(value: SigmaString, start: boolean, end: boolean): SigmaString {
  const out = [...value];
  if (start && out[0]?.t !== 'any') out.unshift(ANY);
  if (end && out[out.length - 1]?.t !== 'any') out.push(ANY);
  return out;
}

/** Escapes a literal for the filter AST's glob, where `\` escapes any character. */
function escapeGlob(text: string): string {
  return text.replace(/[\\*?]/g, (c) => `\\${c}`);
}

/**
 * The filter for "field matches this Sigma string", picking the cheapest op that says it:
 * `eq` without wildcards, `contains`/`startswith`/`endswith` when the only wildcards are a
 * leading and/or trailing `*`, else a `wildcard` glob.
 */
export function stringFilter(field: string, value: SigmaString, caseSensitive: boolean): FilterNode {
  const parts = normalise(value);
  const cased = caseSensitive ? { caseSensitive: true } : {};
  const text = plainText(parts);
  if (text !== undefined) return { op: 'eq', field, value: text, ...cased };
  const first = parts[0];
  const last = parts[parts.length - 1];
  const inner = parts.slice(first?.t === 'any' ? 1 : 0, last?.t === 'any' && parts.length > 1 ? -1 : undefined);
  const innerText = plainText(inner);
  if (innerText !== undefined && innerText !== '') {
    const op = first?.t === 'any' && last?.t === 'any' ? 'contains' : first?.t === 'any' ? 'endswith' : 'startswith';
    return { op, field, value: innerText, ...cased };
  }
  let pattern = '';
  for (const part of parts) {
    if (part.t === 'lit') pattern += escapeGlob(part.s);
    else if (part.t === 'any') pattern += '*';
    else if (part.t === 'one') pattern += '?';
    else pattern += escapeGlob(`%${part.name}%`);
  }
  return { op: 'wildcard', field, pattern, ...cased };
}

/** Characters a Windows command-line flag may start with (E8). */
export const WINDASH_CHARACTERS = ['-', '/', '\u2013', '\u2014', '\u2015'] as const;

const WORD = /[\p{L}\p{N}_]/u;

/**
 * `windash` (E8): every `-` or `/` that starts a flag (no word character before it, a word
 * character after it, as pySigma's `\B[-/]\b`) is replaced by each of the five dash characters,
 * independently: 5^n variants. Returns undefined when there would be more than `limit`.
 */
export function windashVariants(value: SigmaString, limit: number): SigmaString[] | undefined {
  // Flatten to single characters so a flag position is one index.
  const items: StringPart[] = [];
  for (const part of value) {
    if (part.t === 'lit') for (const c of part.s) items.push({ t: 'lit', s: c });
    else items.push(part);
  }
  const positions: number[] = [];
  items.forEach((item, index) => {
    if (item.t !== 'lit' || (item.s !== '-' && item.s !== '/')) return;
    const before = items[index - 1];
    const after = items[index + 1];
    const wordBefore = before?.t === 'lit' && WORD.test(before.s);
    const wordAfter = after?.t === 'lit' && WORD.test(after.s);
    if (!wordBefore && wordAfter) positions.push(index);
  });
  if (WINDASH_CHARACTERS.length ** positions.length > limit) return undefined;
  let variants: StringPart[][] = [items];
  for (const position of positions) {
    variants = variants.flatMap((variant) =>
      WINDASH_CHARACTERS.map((dash) => {
        const copy = [...variant];
        copy[position] = { t: 'lit', s: dash };
        return copy;
      }),
    );
  }
  return variants.map((variant) => normalise(variant));
}
