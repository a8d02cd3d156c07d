import { describe, expect, it } from 'vitest';
import { MultiMatcher, type LiteralPattern } from './multi-match.js';

const naive = (patterns: readonly LiteralPattern[], value: string): boolean =>
  patterns.some(({ mode, value: literal }) =>
    mode === 'eq' ? value === literal : mode === 'contains' ? value.includes(literal) : mode === 'startswith' ? value.startsWith(literal) : value.endsWith(literal),
  );

describe('MultiMatcher', () => {
  it('finds overlapping and nested contains literals (failure links)', () => {
    const matcher = new MultiMatcher(['he', 'she', 'hers', 'his'].map((value) => ({ mode: 'contains', value })));
    expect(['ushers', 'ahishe', 'xhx', 'h', 'sh', 'hi'].map((v) => matcher.test(v))).toEqual([true, true, false, false, false, false]);
    const suffix = new MultiMatcher(['abcd', 'bce'].map((value) => ({ mode: 'contains', value })));
    expect(suffix.test('abce')).toBe(true); // the walk falls back from "abc" to "bc" and goes on
  });

  it('anchors startswith and endswith literals, and eq literals whole', () => {
    const patterns: LiteralPattern[] = [
      { mode: 'startswith', value: '/admin' },
      { mode: 'endswith', value: '.php' },
      { mode: 'eq', value: 'x' },
    ];
    const matcher = new MultiMatcher(patterns);
    for (const value of ['/admin/a', 'a/admin', 'a.php', 'a.php?', 'x', 'xx', '', '😀.php']) expect(matcher.test(value), value).toBe(naive(patterns, value));
  });

  it('holds for every string when a literal is empty', () => {
    expect(new MultiMatcher([{ mode: 'contains', value: '' }, { mode: 'eq', value: 'q' }]).test('')).toBe(true);
    expect(new MultiMatcher([{ mode: 'eq', value: '' }, { mode: 'eq', value: 'q' }]).test('a')).toBe(false);
  });

  it('agrees with one test per literal on random literals and values, non-ASCII included', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['a', 'b', 'c', 'é', '😀', '日'];
    const word = (min: number, max: number): string => Array.from({ length: min + random(max - min + 1) }, () => alphabet[random(alphabet.length)]).join('');
    const modes = ['eq', 'contains', 'startswith', 'endswith'] as const;
    for (let round = 0; round < 300; round++) {
      const patterns = Array.from({ length: 1 + random(30) }, (): LiteralPattern => ({ mode: modes[random(4)] as LiteralPattern['mode'], value: word(1, 4) }));
      const matcher = new MultiMatcher(patterns);
      for (let v = 0; v < 20; v++) {
        const value = word(0, 10);
        expect(matcher.test(value), JSON.stringify({ patterns, value })).toBe(naive(patterns, value));
      }
    }
  });
});
