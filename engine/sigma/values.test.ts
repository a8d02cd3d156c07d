import { describe, expect, it } from 'vitest';
import { hasWildcards, normalise, parseSigmaString, stringFilter, windashVariants, wrapWildcards } from './values.js';

const lit = (s: string) => ({ t: 'lit', s });
const ANY = { t: 'any' };
const ONE = { t: 'one' };

describe('parseSigmaString (checklist D1, D2, D6)', () => {
  it.each([
    ['a*b?c', [lit('a'), ANY, lit('b'), ONE, lit('c')]],
    ['x\\*y', [lit('x*y')]],
    ['x\\?', [lit('x?')]],
    ['C:\\Windows', [lit('C:\\Windows')]],
    ['C:\\\\*', [lit('C:\\'), ANY]],
    ['C:\\\\\\*', [lit('C:\\*')]],
    ['\\\\\\\\', [lit('\\\\')]],
    ['dir\\', [lit('dir\\')]],
    ['%TEMP%', [lit('%TEMP%')]],
    ['', []],
  ])('%j', (text, parts) => {
    expect(parseSigmaString(text)).toEqual(parts);
  });

  it('reads placeholders and \\% only for expand', () => {
    expect(parseSigmaString('%Admins%\\%x', true)).toEqual([{ t: 'placeholder', name: 'Admins' }, lit('%x')]);
    expect(parseSigmaString('100% sure', true)).toEqual([lit('100% sure')]);
  });
});

describe('wildcards and rendering', () => {
  it('does not double a wildcard a modifier adds', () => {
    expect(wrapWildcards([ANY, lit('x')] as never, true, true)).toEqual([ANY, lit('x'), ANY]);
  });

  it('collapses ** and joins literals', () => {
    expect(normalise([lit('a'), lit('b'), ANY, ANY] as never)).toEqual([lit('ab'), ANY]);
    expect(hasWildcards([lit('a')] as never)).toBe(false);
  });

  it('escapes a trailing literal backslash before an added wildcard (D5)', () => {
    const parts = wrapWildcards(parseSigmaString('a?dir\\'), false, true);
    expect(stringFilter('f', parts, false)).toEqual({ op: 'wildcard', field: 'f', pattern: 'a?dir\\\\*' });
  });

  it('picks eq/contains/startswith/endswith/wildcard', () => {
    expect(stringFilter('f', parseSigmaString('x'), false)).toEqual({ op: 'eq', field: 'f', value: 'x' });
    expect(stringFilter('f', parseSigmaString('*x*'), true)).toEqual({ op: 'contains', field: 'f', value: 'x', caseSensitive: true });
    expect(stringFilter('f', parseSigmaString('x*'), false).op).toBe('startswith');
    expect(stringFilter('f', parseSigmaString('*x'), false).op).toBe('endswith');
    expect(stringFilter('f', parseSigmaString('*x*y'), false)).toEqual({ op: 'wildcard', field: 'f', pattern: '*x*y' });
  });
});

describe('windashVariants (E8)', () => {
  it('varies flag dashes and slashes independently', () => {
    const variants = windashVariants(parseSigmaString('-a /b'), 1000)!;
    expect(variants).toHaveLength(25);
    expect(variants).toContainEqual([lit('\u2014a \u2013b')]);
  });

  it('leaves dashes inside words and en dashes of the source alone', () => {
    expect(windashVariants(parseSigmaString('x-y \u2013z'), 1000)).toEqual([[lit('x-y \u2013z')]]);
  });

  it('refuses more variants than the limit', () => {
    expect(windashVariants(parseSigmaString('-a -b -c -d -e'), 625)).toBeUndefined();
  });
});
