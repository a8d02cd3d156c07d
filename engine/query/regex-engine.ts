import { RE2JS } from 're2js';
import { toRe2Pattern } from '../../core/query/re2-pattern.js';
import type { RegexToken } from '../../core/query/regex.js';

export { toRe2Pattern } from '../../core/query/re2-pattern.js';

/**
 * The two pattern languages of the filter AST for the streaming evaluator: regular expressions
 * (`regex` op) and globs (`wildcard` op), each with a matcher that cannot stall on a hostile line.
 *
 * Regular expressions: a parsed filter regex (core/query/regex.ts)
 * written as an RE2 pattern (core/query/re2-pattern.ts, shared with SQLite's `wp_regexp`) and run
 * by re2js, an automaton matcher whose time is linear in the value (no backtracking), so a hostile
 * pattern or a hostile log line cannot stall the engine. test/bench/predicate.ts measures it on
 * the classic catastrophic pattern `(a+)+$`.
 */

/** A compiled filter regex: finds the pattern anywhere in a value (substring semantics). */
export interface CompiledRegex {
  /** True when the pattern occurs in `value` (already case-folded when the regex was compiled with `fold`). */
  test(value: string): boolean;
}

/** Options of {@link compileRegex}. */
export interface RegexEngineOptions {
  /**
   * Write the pattern for case-folded values, as the Elasticsearch compiler does for the
   * `.lower` view: literals are folded and each class range gains its folded range. The caller
   * folds the values with foldCase.
   * @defaultValue false
   */
  readonly fold?: boolean;
}

/**
 * Compiles parsed tokens to a linear-time matcher. Throws the re2js syntax error when RE2
 * refuses the pattern (a repeat count above 1000); the caller turns it into a UserError.
 */
export function compileRegex(tokens: readonly RegexToken[], options: RegexEngineOptions = {}): CompiledRegex {
  const source = toRe2Pattern(tokens, options.fold === true);
  const compiled = RE2JS.compile(source);
  return { test: (value) => compiled.test(value) };
}

/**
 * Globs. The `wildcard` op's glob over a whole value: `*` any run, `?` one character (one code point,
 * as SQLite's GLOB and Lucene count), `\` escapes the next character, a trailing lone `\` is a
 * literal backslash. Written by hand because no glob library keeps exactly these escapes
 * (minimatch and picomatch add brackets, braces and path rules).
 *
 * The pattern is split at its stars into segments; the first is anchored at the start, the
 * last at the end, and each middle one is taken at its earliest position. Within a segment
 * nothing branches, so the earliest start also ends earliest and the greedy choice is exact:
 * the time is at most value length × pattern length, with no backtracking across stars.
 */

/** One character of the pattern that matches any character. */
const ANY = 0;
type Segment = readonly (string | typeof ANY)[];

/** Compiles a glob to a matcher of whole values. Case folding is the caller's. */
export function compileGlob(pattern: string): (value: string) => boolean {
  const segments = parseGlob(pattern);
  const starred = segments.length > 1;
  if (segments.every((segment) => segment.every((part) => part !== ANY))) {
    const literals = segments.map((segment) => segment.join(''));
    return starred ? literalMatcher(literals) : (value) => value === literals[0];
  }
  return (value) => matchSegments(value, segments);
}

/** The segments between stars, each a list of literal runs and {@link ANY}. */
function parseGlob(pattern: string): Segment[] {
  const segments: (string | typeof ANY)[][] = [[]];
  let run = '';
  const flush = (): void => {
    if (run !== '') (segments[segments.length - 1] as (string | typeof ANY)[]).push(run);
    run = '';
  };
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '\\' && i + 1 < chars.length) run += chars[++i] as string;
    else if (c === '*') {
      flush();
      segments.push([]);
    } else if (c === '?') {
      flush();
      (segments[segments.length - 1] as (string | typeof ANY)[]).push(ANY);
    } else run += c;
  }
  flush();
  return segments;
}

function literalMatcher(literals: readonly string[]): (value: string) => boolean {
  const first = literals[0] as string;
  const last = literals[literals.length - 1] as string;
  const middle = literals.slice(1, -1).filter((literal) => literal !== '');
  return (value) => {
    if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) return false;
    let at = first.length;
    const end = value.length - last.length;
    for (const literal of middle) {
      const found = value.indexOf(literal, at);
      if (found < 0 || found + literal.length > end) return false;
      at = found + literal.length;
    }
    return true;
  };
}

/** Where the segment ends when matched at `at`, or -1. */
function matchAt(value: string, at: number, segment: Segment): number {
  let i = at;
  for (const part of segment) {
    if (part === ANY) {
      if (i >= value.length) return -1;
      const code = value.charCodeAt(i);
      i += code >= 0xd800 && code <= 0xdbff && i + 1 < value.length && isLowSurrogate(value.charCodeAt(i + 1)) ? 2 : 1;
    } else {
      if (!value.startsWith(part, i)) return -1;
      i += part.length;
    }
  }
  return i;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** True when `at` does not split a surrogate pair. */
function onBoundary(value: string, at: number): boolean {
  return at === 0 || at >= value.length || !isLowSurrogate(value.charCodeAt(at)) || !(value.charCodeAt(at - 1) >= 0xd800 && value.charCodeAt(at - 1) <= 0xdbff);
}

function matchSegments(value: string, segments: readonly Segment[]): boolean {
  const first = segments[0] as Segment;
  let at = matchAt(value, 0, first);
  if (at < 0) return false;
  if (segments.length === 1) return at === value.length;
  for (let s = 1; s < segments.length - 1; s++) {
    const segment = segments[s] as Segment;
    let found = -1;
    for (let start = at; start <= value.length && found < 0; start++) if (onBoundary(value, start)) found = matchAt(value, start, segment);
    if (found < 0) return false;
    at = found;
  }
  const last = segments[segments.length - 1] as Segment;
  for (let start = at; start <= value.length; start++) if (onBoundary(value, start) && matchAt(value, start, last) === value.length) return true;
  return false;
}
