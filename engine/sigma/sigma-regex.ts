/**
 * Sigma `re` values (checklist E9–E12) rewritten into the filter AST's regex dialect
 * (core/query/regex.ts), which every store can run.
 *
 * Sigma regexes are Python's, matched as a substring search. The AST's dialect has no inline
 * flags, no multiline or dot-all mode and anchors only at the edges of a top-level alternative;
 * so this module, written by hand because no library rewrites regexes between these dialects:
 * - takes leading inline flags `(?i)`, `(?m)`, `(?s)` as the modifiers `i`, `m`, `s`;
 * - hoists a group holding an anchor to the top level: `(^|/)\.x` becomes `^\.x|/\.x`;
 * - writes `m` as alternatives that start (or end) at a line terminator: `^a` becomes
 *   `^a|[\n\r\u2028\u2029]a` (same matches, since only whether a match exists counts);
 * - writes `s` by replacing `.` with `(?:.|\s)`;
 * - adds `^`/`$` per top-level alternative for `startswith`/`endswith` (E2, E3);
 * - renames Python's `(?P<name>` groups and `\A`/`\Z` anchors.
 * What is still outside the dialect after that (lookarounds, backreferences, `\b`) is an error.
 */
import { RegexSubsetError, parseFilterRegex } from '../../core/query/regex.js';

/** The longest pattern accepted; the stores refuse longer ones. */
export const MAX_REGEX_LENGTH = 4096;
/** How many top-level alternatives hoisting and the `m` rewrite may produce. */
const MAX_ALTERNATIVES = 64;
/** How deep groups may nest (bounds the recursion of the rewrites). */
const MAX_GROUP_DEPTH = 100;
const LINE_TERMINATOR = '[\\n\\r\\u2028\\u2029]';

export interface SigmaRegexFlags {
  readonly i?: boolean;
  readonly m?: boolean;
  readonly s?: boolean;
}

export interface SigmaRegexAnchors {
  /** `startswith`: the match must begin at the start of the value. */
  readonly start?: boolean;
  /** `endswith`: the match must end at the end of the value. */
  readonly end?: boolean;
}

/** A pattern of the filter AST and its case-insensitivity flag, or why the value cannot be one. */
export type TranslatedRegex = { readonly pattern: string; readonly ignoreCase: boolean } | { readonly error: string };

type Item =
  | { readonly kind: 'text'; readonly src: string; quant?: string }
  | { readonly kind: 'dot'; quant?: string }
  | { readonly kind: 'start' | 'end'; quant?: string }
  | { readonly kind: 'group'; readonly open: string; readonly alts: Item[][]; quant?: string };

class SyntaxProblem extends Error {}

/** Splits off leading inline flag groups such as `(?i)` or `(?is)`. */
export function leadingFlags(source: string): { rest: string; flags: SigmaRegexFlags } | { error: string } {
  let rest = source;
  const flags = { i: false, m: false, s: false };
  for (let match = /^\(\?([A-Za-z]+)\)/.exec(rest); match !== null; match = /^\(\?([A-Za-z]+)\)/.exec(rest)) {
    for (const flag of match[1] as string) {
      if (flag === 'i' || flag === 'm' || flag === 's') flags[flag] = true;
      else if (flag !== 'u') return { error: `the inline flag (?${flag}) is not supported` };
    }
    rest = rest.slice(match[0].length);
  }
  return { rest, flags };
}

/** Translates a Sigma regex with its modifiers into a pattern the filter AST accepts. */
export function translateSigmaRegex(source: string, flags: SigmaRegexFlags = {}, anchors: SigmaRegexAnchors = {}): TranslatedRegex {
  if (source.length > MAX_REGEX_LENGTH) return { error: `the regex is longer than ${MAX_REGEX_LENGTH} characters` };
  const inline = leadingFlags(source);
  if ('error' in inline) return inline;
  const i = flags.i === true || inline.flags.i === true;
  const m = flags.m === true || inline.flags.m === true;
  const s = flags.s === true || inline.flags.s === true;
  let alternatives: Item[][];
  try {
    const parser = new Parser(inline.rest);
    alternatives = parser.parse();
    alternatives = hoistAnchors(alternatives);
    if (anchors.start === true) alternatives = alternatives.map((seq) => (seq[0]?.kind === 'start' ? seq : [{ kind: 'start' }, ...seq]));
    if (anchors.end === true) alternatives = alternatives.map((seq) => (seq[seq.length - 1]?.kind === 'end' ? seq : [...seq, { kind: 'end' }]));
    if (m) alternatives = multiline(alternatives);
  } catch (error) {
    if (error instanceof SyntaxProblem) return { error: error.message };
    throw error;
  }
  const pattern = alternatives.map((seq) => serialise(seq, s)).join('|');
  if (pattern.length > MAX_REGEX_LENGTH) return { error: `the rewritten regex is longer than ${MAX_REGEX_LENGTH} characters` };
  try {
    parseFilterRegex(pattern);
  } catch (error) {
    if (error instanceof RegexSubsetError) return { error: error.message };
    throw error;
  }
  return { pattern, ignoreCase: i };
}

/** A recursive-descent reader of Python regex syntax, only as deep as the rewrites need. */
class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parse(): Item[][] {
    const alts = this.alternatives(0);
    if (this.pos < this.src.length) throw new SyntaxProblem(`unbalanced ")" at character ${this.pos + 1}`);
    return alts;
  }

  private alternatives(depth: number): Item[][] {
    const alts: Item[][] = [[]];
    while (this.pos < this.src.length) {
      const c = this.src[this.pos] as string;
      if (c === ')') {
        if (depth === 0) throw new SyntaxProblem(`unbalanced ")" at character ${this.pos + 1}`);
        return alts;
      }
      const current = alts[alts.length - 1] as Item[];
      if (c === '|') {
        alts.push([]);
        this.pos += 1;
        continue;
      }
      const item = this.atom(depth);
      if (item !== undefined) {
        this.quantifier(item);
        current.push(item);
      }
    }
    if (depth > 0) throw new SyntaxProblem('missing ")"');
    return alts;
  }

  private atom(depth: number): Item | undefined {
    const src = this.src;
    const c = src[this.pos] as string;
    if (c === '(') {
      const rest = src.slice(this.pos);
      if (rest.startsWith('(?#')) {
        const close = src.indexOf(')', this.pos);
        if (close < 0) throw new SyntaxProblem('unterminated comment group');
        this.pos = close + 1;
        return undefined;
      }
      const named = /^\(\?P?<[A-Za-z_][A-Za-z0-9_]*>/.exec(rest);
      let open = '(';
      if (named !== null) {
        open = '(?:';
        this.pos += named[0].length;
      } else {
        const special = /^\(\?(?::|=|!|<=|<!)/.exec(rest);
        if (special !== null) open = special[0];
        else if (rest.startsWith('(?')) throw new SyntaxProblem(`the group ${rest.slice(0, 4)}… is not supported`);
        this.pos += open.length;
      }
      if (depth >= MAX_GROUP_DEPTH) throw new SyntaxProblem(`groups nest deeper than ${MAX_GROUP_DEPTH} levels`);
      const alts = this.alternatives(depth + 1);
      this.pos += 1; // the ")"
      return { kind: 'group', open, alts };
    }
    if (c === '[') return { kind: 'text', src: this.bracketClass() };
    if (c === '\\') {
      const next = src[this.pos + 1];
      if (next === undefined) throw new SyntaxProblem('the regex ends with a lone backslash');
      this.pos += 2;
      if (next === 'A') return { kind: 'start' };
      if (next === 'Z') return { kind: 'end' };
      return { kind: 'text', src: `\\${next}` };
    }
    this.pos += 1;
    if (c === '.') return { kind: 'dot' };
    if (c === '^') return { kind: 'start' };
    if (c === '$') return { kind: 'end' };
    return { kind: 'text', src: c };
  }

  private bracketClass(): string {
    const src = this.src;
    let i = this.pos + 1;
    let out = '[';
    if (src[i] === '^') {
      out += '^';
      i += 1;
    }
    // In Python a "]" right after "[" or "[^" is a literal; in ECMAScript it closes an empty class.
    if (src[i] === ']') {
      out += '\\]';
      i += 1;
    }
    while (i < src.length && src[i] !== ']') {
      if (src[i] === '\\') {
        out += src.slice(i, i + 2);
        i += 2;
      } else {
        out += src[i] as string;
        i += 1;
      }
    }
    if (i >= src.length) throw new SyntaxProblem('unterminated character class "["');
    this.pos = i + 1;
    return `${out}]`;
  }

  private quantifier(item: Item): void {
    const rest = this.src.slice(this.pos);
    const match = /^(?:[*+?]|\{(\d*)(,(\d*))?\})/.exec(rest);
    if (match === null) return;
    let text = match[0];
    if (text.startsWith('{')) {
      if (match[1] === '' && (match[3] ?? '') === '') return; // "{}" or "{,}": literal text in Python
      if (match[1] === '') text = `{0${text.slice(1)}`; // Python's {,m}
    }
    this.pos += match[0].length;
    if (this.src[this.pos] === '?') {
      text += '?';
      this.pos += 1;
    } else if (this.src[this.pos] === '+') throw new SyntaxProblem('possessive quantifiers are not supported');
    item.quant = text;
  }
}

function hasAnchor(items: readonly Item[]): boolean {
  return items.some((item) => item.kind === 'start' || item.kind === 'end' || (item.kind === 'group' && item.alts.some(hasAnchor)));
}

function isHoistable(item: Item | undefined): item is Extract<Item, { kind: 'group' }> {
  return item?.kind === 'group' && item.quant === undefined && (item.open === '(' || item.open === '(?:') && item.alts.some(hasAnchor);
}

/** Distributes a leading or trailing anchored group over the top-level alternatives. */
function hoistAnchors(alternatives: Item[][]): Item[][] {
  const done: Item[][] = [];
  const work = [...alternatives];
  while (work.length > 0) {
    const seq = work.shift() as Item[];
    const first = seq[0];
    const last = seq[seq.length - 1];
    if (isHoistable(first)) work.unshift(...first.alts.map((alt) => [...alt, ...seq.slice(1)]));
    else if (isHoistable(last)) work.unshift(...last.alts.map((alt) => [...seq.slice(0, -1), ...alt]));
    else done.push(seq);
    if (done.length + work.length > MAX_ALTERNATIVES) throw new SyntaxProblem(`the regex needs more than ${MAX_ALTERNATIVES} alternatives once its anchors are hoisted`);
  }
  return done;
}

/** `m`: an anchor also holds next to a line terminator, written as a consumed terminator. */
function multiline(alternatives: Item[][]): Item[][] {
  const terminator: Item = { kind: 'text', src: LINE_TERMINATOR };
  const out: Item[][] = [];
  for (const seq of alternatives) {
    const starts = seq[0]?.kind === 'start' ? [[seq[0]], [terminator]] : [[]];
    const body = seq.slice(starts.length > 1 ? 1 : 0);
    const anchoredEnd = body.length > 0 && body[body.length - 1]?.kind === 'end';
    const ends = anchoredEnd ? [[body[body.length - 1] as Item], [terminator]] : [[]];
    const middle = anchoredEnd ? body.slice(0, -1) : body;
    for (const start of starts) for (const end of ends) out.push([...start, ...middle, ...end]);
  }
  if (out.length > MAX_ALTERNATIVES) throw new SyntaxProblem(`the regex needs more than ${MAX_ALTERNATIVES} alternatives in multiline mode`);
  return out;
}

function serialise(seq: readonly Item[], dotAll: boolean): string {
  return seq
    .map((item) => {
      const quant = item.quant ?? '';
      switch (item.kind) {
        case 'text':
          return item.src + quant;
        case 'dot':
          return (dotAll ? '(?:.|\\s)' : '.') + quant;
        case 'start':
          return `^${quant}`;
        case 'end':
          return `$${quant}`;
        case 'group':
          return `${item.open}${item.alts.map((alt) => serialise(alt, dotAll)).join('|')})${quant}`;
      }
    })
    .join('');
}
