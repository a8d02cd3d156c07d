import { describe, expect, it } from 'vitest';
import { parseFilterRegex } from '../../core/query/regex.js';
import { leadingFlags, translateSigmaRegex } from './sigma-regex.js';

/** Whether the translated pattern finds a match in `text`, with JS semantics of the AST. */
function finds(source: string, text: string, flags = {}, anchors = {}): boolean {
  const out = translateSigmaRegex(source, flags, anchors);
  if ('error' in out) throw new Error(out.error);
  return new RegExp(out.pattern, out.ignoreCase ? 'i' : '').test(text);
}

describe('translateSigmaRegex (checklist E9–E12)', () => {
  it('keeps the SigmaHQ patterns as written', () => {
    for (const source of ['APT\\d', '(?:\\s-[^-\\s]{0,20}i|\\s--inode\\s)', '.{150}', '[^/]{100,}$', '-(W|R)\\s?(\\s|"|\')([0-9a-fA-F]{2}\\s?){2,20}(\\s|"|\')']) {
      expect(translateSigmaRegex(source)).toEqual({ pattern: source, ignoreCase: false });
    }
  });

  it('turns leading inline flags into modifiers', () => {
    expect(leadingFlags('(?i)(?s)x')).toEqual({ rest: 'x', flags: { i: true, m: false, s: true } });
    expect(translateSigmaRegex('(?i)abc')).toEqual({ pattern: 'abc', ignoreCase: true });
    expect(translateSigmaRegex('(?x)abc')).toHaveProperty('error');
  });

  it('hoists groups holding anchors, with the same matches', () => {
    expect(translateSigmaRegex('(^|\\/)\\.[^.\\/]')).toEqual({ pattern: '^\\.[^.\\/]|\\/\\.[^.\\/]', ignoreCase: false });
    expect(finds('(^|/)\\.[^./]', '.bashrc')).toBe(true);
    expect(finds('(^|/)\\.[^./]', '/home/u/.ssh')).toBe(true);
    expect(finds('(^|/)\\.[^./]', 'a.b')).toBe(false);
    expect(translateSigmaRegex('x(a|$)')).toEqual({ pattern: 'xa|x$', ignoreCase: false });
  });

  it('writes multiline and dot-all mode in the AST dialect', () => {
    expect(finds('^b$', 'a\nb\nc', { m: true })).toBe(true);
    expect(finds('^b$', 'a\nb\nc')).toBe(false);
    expect(finds('a.b', 'a\nb', { s: true })).toBe(true);
    expect(finds('a.b', 'a\nb')).toBe(false);
    expect(finds('(?s)a.{2}b', 'a\r\nb')).toBe(true);
  });

  it('anchors for startswith/endswith per top-level alternative', () => {
    expect(translateSigmaRegex('a|b', {}, { start: true })).toEqual({ pattern: '^a|^b', ignoreCase: false });
    expect(translateSigmaRegex('a$|b', {}, { end: true })).toEqual({ pattern: 'a$|b$', ignoreCase: false });
  });

  it('translates Python-only spellings', () => {
    expect(translateSigmaRegex('(?P<x>a)\\Z')).toEqual({ pattern: '(?:a)$', ignoreCase: false });
    expect(translateSigmaRegex('\\Aa{,3}')).toEqual({ pattern: '^a{0,3}', ignoreCase: false });
    expect(translateSigmaRegex('[]a]')).toEqual({ pattern: '[\\]a]', ignoreCase: false });
  });

  it('refuses what no store can run', () => {
    for (const source of ['(?<=a)b', '(a)\\1', '\\bword', 'a++', '(unclosed', 'x)', '[abc', 'a**', 'x'.repeat(5000), `${'('.repeat(2000)}a${')'.repeat(2000)}`]) {
      expect(translateSigmaRegex(source), source).toHaveProperty('error');
    }
  });

  it('every output parses with core/query/regex.ts', () => {
    for (const [source, flags] of [
      ['^a$', { m: true }],
      ['(^|x)y', {}],
      ['a.b', { s: true, i: true }],
    ] as const) {
      const out = translateSigmaRegex(source, flags);
      if ('error' in out) throw new Error(out.error);
      expect(() => parseFilterRegex(out.pattern)).not.toThrow();
    }
  });
});
