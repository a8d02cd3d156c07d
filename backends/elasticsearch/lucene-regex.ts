import type { RegexToken } from '../../core/query/regex.js';

/**
 * Writes a parsed filter regex (core/query/regex.ts) as a Lucene regular expression with the
 * AST's substring semantics. Lucene patterns always match the whole value, so each top-level
 * alternative is wrapped in `.*…​.*`, minus the side its `^` or `$` anchors.
 * Use it with `flags: "NONE"`, so `@ & ~ < > #` are plain characters.
 */
export function toLuceneRegex(tokens: readonly RegexToken[]): string {
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
      const body = alternative.filter((token) => token.t !== 'start' && token.t !== 'end').map(emit).join('');
      return `${anchoredStart ? '' : '.*'}${body}${anchoredEnd ? '' : '.*'}`;
    })
    .join('|');
}

// ECMAScript's `.` excludes line terminators; Lucene's does not.
const ANY_BUT_LINE_TERMINATOR = `[^${escape('\n')}${escape('\r')}${escape('\u2028')}${escape('\u2029')}]`;

function emit(token: RegexToken): string {
  switch (token.t) {
    case 'char':
      return escape(token.c);
    case 'any':
      return ANY_BUT_LINE_TERMINATOR;
    case 'class':
      return `[${token.negated ? '^' : ''}${token.ranges.map(([from, to]) => (from === to ? escape(from) : `${escape(from)}-${escape(to)}`)).join('')}]`;
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

/** Lucene escapes any character with a backslash; letters and digits stay bare (`\d` means digit). */
function escape(c: string): string {
  return /[\p{L}\p{N}]/u.test(c) ? c : `\\${c}`;
}
