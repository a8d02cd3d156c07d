/**
 * The regular-expression dialect of the filter AST's `regex` op: the common subset of ECMAScript
 * and Lucene syntax, parsed once so every compiler accepts exactly the same patterns.
 *
 * JS-only constructs that have a faithful Lucene spelling are accepted and normalised (`\d`,
 * `\w`, `\s` become character classes, lazy quantifiers become greedy ones, which does not change
 * whether a match exists). Constructs that have none are refused with a reason: lookarounds,
 * backreferences, word boundaries, Unicode property escapes, and anchors anywhere but at the edges
 * of a top-level alternative (Lucene patterns are always anchored, so `^`/`$` there simply remove
 * the implicit `.*`).
 */

/** One element of a parsed pattern. */
export type RegexToken =
  /** A literal character (one code point). */
  | { readonly t: 'char'; readonly c: string }
  /** `.`: any character except a line terminator. */
  | { readonly t: 'any' }
  /** A bracket class, with `\d \w \s` already expanded into ranges. */
  | { readonly t: 'class'; readonly negated: boolean; readonly ranges: readonly (readonly [string, string])[] }
  | { readonly t: 'open' }
  | { readonly t: 'close' }
  | { readonly t: 'alt' }
  /** A greedy quantifier on the previous atom; `max` undefined is unbounded. */
  | { readonly t: 'quant'; readonly min: number; readonly max?: number }
  | { readonly t: 'start' }
  | { readonly t: 'end' };

/** A pattern the common subset cannot express. */
export class RegexSubsetError extends Error {}

const DIGIT: readonly (readonly [string, string])[] = [['0', '9']];
const WORD: readonly (readonly [string, string])[] = [
  ['a', 'z'],
  ['A', 'Z'],
  ['0', '9'],
  ['_', '_'],
];
// ECMAScript \s also covers Unicode spaces; these are the ones that occur in logs.
const SPACE: readonly (readonly [string, string])[] = [
  [' ', ' '],
  ['\t', '\r'], // \t \n \v \f \r
  ['\u00a0', '\u00a0'],
  ['\u2028', '\u2029'],
  ['\ufeff', '\ufeff'],
];
const CONTROL_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v', '0': '\0' };

/**
 * Parses a `regex` op pattern into tokens, or throws {@link RegexSubsetError} with a reason an
 * analyst can act on. The pattern must also compile as an ECMAScript RegExp.
 */
export function parseFilterRegex(pattern: string): RegexToken[] {
  try {
    new RegExp(pattern);
  } catch (error) {
    throw new RegexSubsetError(`invalid regular expression: ${(error as Error).message}`);
  }
  const tokens: RegexToken[] = [];
  const chars = Array.from(pattern);
  let i = 0;
  let depth = 0;
  const peek = (offset = 0): string | undefined => chars[i + offset];
  while (i < chars.length) {
    const c = chars[i] as string;
    if (c === '\\') {
      const [token, used] = parseEscape(chars, i, false);
      tokens.push(token);
      i += used;
    } else if (c === '[') {
      const [token, used] = parseClass(chars, i);
      tokens.push(token);
      i += used;
    } else if (c === '(') {
      if (peek(1) === '?') {
        const kind = peek(2);
        if (kind === ':') i += 3;
        else if (kind === '<' && peek(3) !== '=' && peek(3) !== '!') {
          const close = chars.indexOf('>', i);
          i = close + 1; // a named group: the name has no meaning for matching
        } else throw new RegexSubsetError('lookahead and lookbehind assertions are not supported');
      } else i += 1;
      depth += 1;
      tokens.push({ t: 'open' });
    } else if (c === ')') {
      depth -= 1;
      tokens.push({ t: 'close' });
      i += 1;
    } else if (c === '|') {
      tokens.push({ t: 'alt' });
      i += 1;
    } else if (c === '.') {
      tokens.push({ t: 'any' });
      i += 1;
    } else if (c === '^' || c === '$') {
      if (depth !== 0) throw new RegexSubsetError(`the anchor ${c} is only supported at the start or end of the pattern`);
      tokens.push({ t: c === '^' ? 'start' : 'end' });
      i += 1;
    } else if (c === '*' || c === '+' || c === '?') {
      tokens.push({ t: 'quant', min: c === '+' ? 1 : 0, ...(c === '?' ? { max: 1 } : {}) });
      i += peek(1) === '?' ? 2 : 1; // lazy or greedy: the same set of matching values
    } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(chars.slice(i, i + 24).join(''))) {
      const text = /^\{(\d+)(,(\d*))?\}/.exec(chars.slice(i, i + 24).join('')) as RegExpExecArray;
      const min = Number(text[1]);
      const max = text[2] === undefined ? min : text[3] === '' ? undefined : Number(text[3]);
      tokens.push({ t: 'quant', min, ...(max === undefined ? {} : { max }) });
      i += Array.from(text[0]).length;
      if (peek() === '?') i += 1;
    } else {
      tokens.push({ t: 'char', c });
      i += 1;
    }
  }
  checkAnchors(tokens);
  return tokens;
}

function parseEscape(chars: readonly string[], at: number, inClass: boolean): [RegexToken, number] {
  const e = chars[at + 1];
  if (e === undefined) throw new RegexSubsetError('the pattern ends with a lone backslash');
  if (e === 'd' || e === 'w' || e === 's') return [{ t: 'class', negated: false, ranges: e === 'd' ? DIGIT : e === 'w' ? WORD : SPACE }, 2];
  if (e === 'D' || e === 'W' || e === 'S') {
    if (inClass) throw new RegexSubsetError(`\\${e} inside a bracket class is not supported; write the negated class out`);
    return [{ t: 'class', negated: true, ranges: e === 'D' ? DIGIT : e === 'W' ? WORD : SPACE }, 2];
  }
  if (e === 'b' || e === 'B') {
    if (inClass && e === 'b') return [{ t: 'char', c: '\b' }, 2];
    throw new RegexSubsetError(`the word-boundary assertion \\${e} is not supported`);
  }
  if (/[1-9]/.test(e) || e === 'k') throw new RegexSubsetError('backreferences are not supported');
  if (e === 'p' || e === 'P') throw new RegexSubsetError('Unicode property escapes are not supported');
  if (e === 'c') throw new RegexSubsetError('control-character escapes (\\c) are not supported');
  const control = CONTROL_ESCAPES[e];
  if (control !== undefined && !(e === '0' && /[0-9]/.test(chars[at + 2] ?? ''))) return [{ t: 'char', c: control }, 2];
  if (e === 'x' || e === 'u') {
    const width = e === 'x' ? 2 : 4;
    const hex = chars.slice(at + 2, at + 2 + width).join('');
    if (new RegExp(`^[0-9A-Fa-f]{${width}}$`).test(hex)) return [{ t: 'char', c: String.fromCharCode(parseInt(hex, 16)) }, 2 + width];
  }
  if (/[0-9]/.test(e)) throw new RegexSubsetError('octal escapes are not supported');
  return [{ t: 'char', c: e }, 2]; // an identity escape: the character itself
}

function parseClass(chars: readonly string[], at: number): [RegexToken, number] {
  let i = at + 1;
  const negated = chars[i] === '^';
  if (negated) i += 1;
  const ranges: (readonly [string, string])[] = [];
  const atom = (): [string | readonly (readonly [string, string])[], number] => {
    if (chars[i] === '\\') {
      const [token, used] = parseEscape(chars, i, true);
      if (token.t === 'class') return [token.ranges, used];
      return [(token as { c: string }).c, used];
    }
    return [chars[i] as string, 1];
  };
  let first = true;
  while (i < chars.length && chars[i] !== ']') {
    const [from, used] = atom();
    i += used;
    if (typeof from !== 'string') {
      ranges.push(...from);
    } else if (chars[i] === '-' && chars[i + 1] !== undefined && chars[i + 1] !== ']') {
      i += 1;
      const [to, usedTo] = atom();
      i += usedTo;
      if (typeof to !== 'string') throw new RegexSubsetError('a class escape cannot end a range');
      ranges.push([from, to]);
    } else ranges.push([from, from]);
    first = false;
  }
  if (first) throw new RegexSubsetError(negated ? '[^] is not supported; use [\\s\\S] style classes or .' : 'an empty class [] never matches');
  return [{ t: 'class', negated, ranges }, i + 1 - at];
}

/** `^` may only open, and `$` only close, a top-level alternative; neither may be quantified. */
function checkAnchors(tokens: readonly RegexToken[]): void {
  tokens.forEach((token, index) => {
    const before = tokens[index - 1];
    const after = tokens[index + 1];
    if (token.t === 'start' && !(before === undefined || before.t === 'alt')) {
      throw new RegexSubsetError('^ is only supported at the start of the pattern (or of a top-level alternative)');
    }
    if (token.t === 'end' && !(after === undefined || after.t === 'alt')) {
      throw new RegexSubsetError('$ is only supported at the end of the pattern (or of a top-level alternative)');
    }
    if (token.t === 'quant' && (before === undefined || ['start', 'end', 'alt', 'open', 'quant'].includes(before.t))) {
      throw new RegexSubsetError('a quantifier must follow a character, class or group');
    }
  });
}
