import type { RegexToken } from './regex.js';
import { foldCase } from './text.js';

/**
 * The RE2 spelling of a parsed filter regex (core/query/regex.ts), shared by every place that
 * runs the `regex` op with a linear-time matcher (re2js): the streaming predicate
 * (engine/query/regex-engine.ts) and SQLite's `wp_regexp` (backends/sqlite/sql-functions.ts).
 * One writer, so both run exactly the same automaton on the same folded values.
 *
 * The pattern is written from the tokens, never passed through, so RE2's syntax differences do
 * not leak in: `.` is spelled as ECMAScript's "anything but a line terminator", every literal
 * that is not an ASCII letter or digit becomes `\x{…}`, groups do not capture, and `^`/`$` (only
 * ever at the edges of a top-level alternative) become `\A`/`\z`.
 *
 * With `fold`, the pattern is written for values case-folded with foldCase (as the Elasticsearch
 * compiler writes it for the `.lower` view): literals are folded and each class range gains its
 * folded range. The caller folds the values.
 */
export function toRe2Pattern(tokens: readonly RegexToken[], fold: boolean): string {
  return tokens.map((token) => emit(token, fold)).join('');
}

const ANY_BUT_LINE_TERMINATOR = `[^${hex('\n')}${hex('\r')}${hex('\u2028')}${hex('\u2029')}]`;

function emit(token: RegexToken, fold: boolean): string {
  switch (token.t) {
    case 'char':
      return literal(fold ? foldChar(token.c) : token.c);
    case 'any':
      return ANY_BUT_LINE_TERMINATOR;
    case 'class': {
      const ranges = fold ? token.ranges.flatMap(foldRange) : token.ranges;
      const body = ranges.map(([from, to]) => (from === to ? literal(from) : `${literal(from)}-${literal(to)}`)).join('');
      return `[${token.negated ? '^' : ''}${body}]`;
    }
    case 'open':
      return '(?:';
    case 'close':
      return ')';
    case 'alt':
      return '|';
    case 'quant':
      if (token.max === undefined) return token.min === 0 ? '*' : token.min === 1 ? '+' : `{${token.min},}`;
      if (token.min === 0 && token.max === 1) return '?';
      return token.min === token.max ? `{${token.min}}` : `{${token.min},${token.max}}`;
    case 'start':
      return '\\A';
    case 'end':
      return '\\z';
  }
}

function hex(c: string): string {
  return `\\x{${(c.codePointAt(0) ?? 0).toString(16)}}`;
}

function literal(c: string): string {
  return /^[A-Za-z0-9]$/.test(c) ? c : hex(c);
}

/** Folds one character, keeping it when its folding is not a single character (as the Lucene writer does). */
function foldChar(c: string): string {
  const folded = foldCase(c);
  return Array.from(folded).length === 1 ? folded : c;
}

/** A range plus its folded image when both ends fold (A-Z gains a-z), as the Lucene writer does. */
function foldRange(range: readonly [string, string]): (readonly [string, string])[] {
  const [from, to] = range;
  const lowFrom = foldChar(from);
  const lowTo = foldChar(to);
  const ordered = (lowFrom.codePointAt(0) ?? 0) <= (lowTo.codePointAt(0) ?? 0);
  return (lowFrom === from && lowTo === to) || !ordered ? [range] : [range, [lowFrom, lowTo]];
}
