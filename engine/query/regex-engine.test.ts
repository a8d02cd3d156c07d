import { describe, expect, it } from 'vitest';
import { parseFilterRegex } from '../../core/query/regex.js';
import { compileGlob, compileRegex, toRe2Pattern } from './regex-engine.js';

describe('compileGlob', () => {
  it.each<[string, string, boolean]>([
    ['', '', true],
    ['', 'a', false],
    ['*', '', true],
    ['a*', 'abc', true],
    ['*c', 'abc', true],
    ['a*c', 'ac', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'acb', false],
    ['ab*ba', 'aba', false],
    ['?', '😀', true],
    ['??', '😀', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['*?', '', false],
    ['*?x*', 'ab😀x', true],
    ['*a?b', 'aab', true],
    ['*a?b', 'ab', false],
    ['*a?b', 'aaxb', true],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['\\?', 'x', false],
    ['a\\\\*', 'a\\bc', true],
    ['x\\', 'x\\', true],
    ['\\t', 't', true],
    ['\\t', '\\t', false],
  ])('%j on %j is %s', (pattern, value, expected) => {
    expect(compileGlob(pattern)(value)).toBe(expected);
  });
});

describe('compileRegex', () => {
  it('writes tokens as RE2 with literals spelled by code point and the edges anchored', () => {
    expect(toRe2Pattern(parseFilterRegex('^a.b(c|d)+$'), false)).toBe('\\Aa[^\\x{a}\\x{d}\\x{2028}\\x{2029}]b(?:c|d)+\\z');
    expect(toRe2Pattern(parseFilterRegex('[A-C]Ü'), true)).toBe('[A-Ca-c]\\x{fc}');
  });

  it('finds the pattern anywhere, with the JS meaning of . and of the anchors', () => {
    const test = (pattern: string, value: string): boolean => compileRegex(parseFilterRegex(pattern)).test(value);
    expect(test('b.d', 'abcde')).toBe(true);
    expect(test('b.d', 'ab\nde')).toBe(false);
    expect(test('b.d', 'ab\rde')).toBe(false);
    expect(test('^b', 'abc')).toBe(false);
    expect(test('c$', 'abc\n')).toBe(false);
    expect(test('^x|c$', 'abc')).toBe(true);
    expect(test('[^a]', 'aaa')).toBe(false);
    expect(test('\\u00fc\\.', 'xü.')).toBe(true);
  });

  it('folds the pattern for folded values', () => {
    const folded = compileRegex(parseFilterRegex('ÜBER [A-D]x'), { fold: true });
    expect(folded.test('über cx')).toBe(true);
    expect(folded.test('über ex')).toBe(false);
  });
});
