import type { RegexToken } from '../../core/query/regex.js';
import { foldCase } from '../../core/query/text.js';

/** Options of {@link toLuceneRegex}. */
export interface LuceneRegexOptions {
  /**
   * Write the pattern for lower-cased values (the `.lower` multi-field): literal characters are
   * folded and each class range gains its folded range, which is how a case-insensitive match
   * is made exact for non-ASCII letters too.
   */
  readonly fold?: boolean;
}

/**
 * Writes a parsed filter regex (core/query/regex.ts) as a Lucene regular expression with the
 * AST's substring semantics. Lucene patterns always match the whole value, so each top-level
 * alternative is wrapped in `.*(…).*`, minus the side its `^` or `$` anchors.
 * Use it with `flags: "NONE"`, so `@ & ~ < > #` are plain characters.
 */
export function toLuceneRegex(tokens: readonly RegexToken[], options: LuceneRegexOptions = {}): string {
  const fold = options.fold === true;
  const alternatives: RegexToken[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.t === 'open') depth += 1;
    if (token.t === 'close') depth -= 1;
    if (token.t === 'alt' && depth === 0) alternatives.push([]);
    else (alternatives[alternatives.length - 1] as RegexToken[]).push(token);
  }
  return alternatives
    .map((alternative) => {
      const anchoredStart = alternative[0]?.t === 'start';
      const anchoredEnd = alternative[alternative.length - 1]?.t === 'end';
      const body = alternative.filter((token) => token.t !== 'start' && token.t !== 'end').map((token) => emit(token, fold)).join('');
      return `${anchoredStart ? '' : '.*'}${body}${anchoredEnd ? '' : '.*'}`;
    })
    .join('|');
}

// ECMAScript's `.` excludes line terminators; Lucene's does not.
const ANY_BUT_LINE_TERMINATOR = `[^${escape('\n')}${escape('\r')}${escape('\u2028')}${escape('\u2029')}]`;

function emit(token: RegexToken, fold: boolean): string {
  switch (token.t) {
    case 'char':
      return escape(fold ? foldChar(token.c) : token.c);
    case 'any':
      return ANY_BUT_LINE_TERMINATOR;
    case 'class': {
      const ranges = fold ? token.ranges.flatMap(foldRange) : token.ranges;
      return `[${token.negated ? '^' : ''}${ranges.map(([from, to]) => (from === to ? escape(from) : `${escape(from)}-${escape(to)}`)).join('')}]`;
    }
    case 'open':
      return '(';
    case 'close':
      return ')';
    case 'alt':
      return '|';
    case 'quant':
      if (token.max === undefined) return token.min === 0 ? '*' : token.min === 1 ? '+' : `{${token.min},}`;
      if (token.min === 0 && token.max === 1) return '?';
      return token.min === token.max ? `{${token.min}}` : `{${token.min},${token.max}}`;
    case 'start':
    case 'end':
      return '';
  }
}

/** Folds one character, keeping it when its folding is not a single character. */
function foldChar(c: string): string {
  const folded = foldCase(c);
  return Array.from(folded).length === 1 ? folded : c;
}

/** A range plus its folded image when both ends fold (A-Z gains a-z). */
function foldRange(range: readonly [string, string]): (readonly [string, string])[] {
  const [from, to] = range;
  const lowFrom = foldChar(from);
  const lowTo = foldChar(to);
  const ordered = (lowFrom.codePointAt(0) ?? 0) <= (lowTo.codePointAt(0) ?? 0);
  return (lowFrom === from && lowTo === to) || !ordered ? [range] : [range, [lowFrom, lowTo]];
}

/**
 * Escapes Lucene's metacharacters, which are all ASCII punctuation, and writes every other
 * character as itself. Letters and digits must stay bare (`\d` means digit), and so must control
 * characters: Lucene 10 (Elasticsearch 9) ignores a class range whose ends are escaped control
 * characters (`[\<TAB>-\<CR>]` matches no newline), while the bare characters work in 8 and 9.
 */
function escape(c: string): string {
  return /^[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]$/.test(c) ? `\\${c}` : c;
}
