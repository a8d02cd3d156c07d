import { describe, expect, it } from 'vitest';
import type { FilterNode } from '../../core/query/filter.js';
import { eventContext } from '../query/event-context.js';
import { LiteralPrefilter, requiredLiterals, type LiteralNeed } from './literal-prefilter.js';

describe('requiredLiterals', () => {
  const contains = (field: string, value: string): FilterNode => ({ op: 'contains', field, value });
  it('folds the literals of string ops and takes the longest run of a glob', () => {
    expect(requiredLiterals({ op: 'startswith', field: 'url.original', value: '/CGI-bin/', caseSensitive: true })).toEqual([{ field: 'url.original', literal: '/cgi-bin/' }]);
    expect(requiredLiterals({ op: 'wildcard', field: 'message', pattern: '*chown ROOT*chmod 4777 *' })).toEqual([{ field: 'message', literal: 'chmod 4777 ' }]);
    // A backslash ends a run: `a\*bc` needs "bc", not the unescaped "a*bc".
    expect(requiredLiterals({ op: 'wildcard', field: 'm', pattern: 'a\\*bc' })).toEqual([{ field: 'm', literal: 'bc' }]);
    expect(requiredLiterals({ op: 'wildcard', field: 'm', pattern: '*?*' })).toBeUndefined();
  });
  it('unites an or, picks the most selective child of an and, gives up on what it cannot bound', () => {
    expect(requiredLiterals({ op: 'or', children: [contains('m', 'a'), contains('u', 'b')] })).toEqual([
      { field: 'm', literal: 'a' },
      { field: 'u', literal: 'b' },
    ]);
    expect(requiredLiterals({ op: 'and', children: [contains('m', 'ab'), { op: 'eq', field: 'x', value: 'y' }, contains('u', 'long literal')] })).toEqual([
      { field: 'u', literal: 'long literal' },
    ]);
    expect(requiredLiterals({ op: 'or', children: [contains('m', 'a'), { op: 'regex', field: 'm', pattern: 'b' }] })).toBeUndefined();
    expect(requiredLiterals({ op: 'not', child: contains('m', 'a') })).toBeUndefined();
    expect(requiredLiterals({ op: 'eq', field: 'm', value: 'a' })).toBeUndefined();
    expect(requiredLiterals(contains('m', ''))).toBeUndefined();
    expect(requiredLiterals({ op: 'or', children: [] })).toEqual([]);
  });
});

describe('LiteralPrefilter', () => {
  const need = (field: string, ...literals: string[]): LiteralNeed[] => literals.map((literal) => ({ field, literal }));
  it('marks the rules whose literals occur, overlapping and nested literals included', () => {
    const prefilter = new LiteralPrefilter([need('m', 'he', 'hers'), need('m', 'she'), need('m', 'his'), undefined, need('u', 'é/x'), need('m', 'e')]);
    expect(prefilter.useful).toBe(true);
    expect([...prefilter.candidates(eventContext({ m: 'USHERS' }))]).toEqual([1, 1, 0, 1, 0, 1]);
    expect([...prefilter.candidates(eventContext({ m: ['xx', 'this'], u: 'É/X' }))]).toEqual([0, 0, 1, 1, 1, 0]);
    expect([...prefilter.candidates(eventContext({ m: 5, u: null }))]).toEqual([0, 0, 0, 1, 0, 0]);
  });
  it('agrees with String#includes on random literals and values', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const word = (max: number): string => Array.from({ length: 1 + random(max) }, () => 'abcé'[random(4)]).join('');
    const needs = Array.from({ length: 40 }, () => need('m', ...Array.from({ length: 1 + random(4) }, () => word(4))));
    const prefilter = new LiteralPrefilter(needs);
    for (let i = 0; i < 300; i++) {
      const value = word(12);
      const expected = needs.map((literals) => (literals.some(({ literal }) => value.includes(literal)) ? 1 : 0));
      expect([...prefilter.candidates(eventContext({ m: value }))]).toEqual(expected);
    }
  });
  it('is not useful when no rule has literals', () => {
    expect(new LiteralPrefilter([undefined, undefined]).useful).toBe(false);
  });
});
