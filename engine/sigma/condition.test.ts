import { describe, expect, it } from 'vitest';
import type { FilterNode } from '../../core/query/filter.js';
import { conditionToFilter, parseCondition, selectIdentifiers } from './condition.js';
import type { RuleProblem, YamlValue } from './types.js';

const pos = { file: 'r.yml', line: 10, col: 16 };
const plain = (text: string): YamlValue => ({ kind: 'scalar', value: text, quoted: false, raw: text, pos });

function parse(text: string, identifiers: string[]) {
  const problems: RuleProblem[] = [];
  const node = parseCondition(plain(text), identifiers, problems, { file: 'r.yml', rule: 'r' });
  return { node, problems };
}

describe('parseCondition', () => {
  it('points syntax errors at the offending character of a one-line condition', () => {
    const { node, problems } = parse('sel and ) or x', ['sel']);
    expect(node).toBeUndefined();
    expect(problems).toMatchObject([{ code: 'condition-syntax', line: 10, col: 16 + 8, rule: 'r' }]);
  });

  it('points the use-correlation error at the pipe', () => {
    const { problems } = parse('sel | count() > 5', ['sel']);
    expect(problems).toMatchObject([{ code: 'use-correlation', col: 16 + 4 }]);
    expect(problems[0]!.message).toMatch(/correlation rule/);
  });

  it('counts a quote in the column of a single-quoted condition', () => {
    const problems: RuleProblem[] = [];
    parseCondition({ kind: 'scalar', value: 'sel and nope', quoted: true, raw: 'sel and nope', pos }, ['sel'], problems, { file: 'r.yml' });
    expect(problems).toMatchObject([{ code: 'unknown-identifier', col: 16 + 1 + 8 }]);
  });

  it('reports the unreferenced identifier where it is defined', () => {
    const problems: RuleProblem[] = [];
    const where = { file: 'r.yml', line: 5, col: 5 };
    parseCondition(plain('a'), ['a', 'b'], problems, { file: 'r.yml', identifierPositions: new Map([['b', where]]) });
    expect(problems).toEqual([{ ...where, severity: 'warning', code: 'unreferenced-identifier', message: expect.stringContaining('"b"') }]);
  });

  it('refuses a quantifier other than 1/any/all, a bare pattern and function syntax', () => {
    expect(parse('3 of s*', ['s1']).problems[0]?.code).toBe('condition-syntax');
    expect(parse('s*', ['s1']).problems[0]?.code).toBe('condition-syntax');
    expect(parse('count(s1) by x', ['s1', 'count']).problems[0]?.code).toBe('condition-syntax');
    expect(parse('s1 s1', ['s1']).problems[0]?.code).toBe('condition-syntax');
    expect(parse('not', ['s1']).problems[0]?.code).toBe('condition-syntax');
    expect(parse('1 of', ['s1']).problems[0]?.code).toBe('condition-syntax');
  });

  it('parses deep nesting', () => {
    const { node, problems } = parse(`${'('.repeat(50)}a${')'.repeat(50)}`, ['a']);
    expect(problems).toEqual([]);
    expect(node).toEqual({ op: 'ref', name: 'a' });
    expect(parse(`${'('.repeat(4000)}a${')'.repeat(4000)}`, ['a']).problems[0]?.message).toMatch(/nests deeper/);
    expect(parse(`${'not '.repeat(2000)}a`, ['a']).problems[0]?.message).toMatch(/nests deeper/);
  });
});

describe('selectIdentifiers', () => {
  const names = ['selection', 'selection_a', 'sel_b', '_private', 'filter.x', 'x_cli'];
  it.each([
    ['selection*', ['selection', 'selection_a']],
    ['*_cli', ['x_cli']],
    ['s*_*', ['selection_a', 'sel_b']],
    ['*', ['selection', 'selection_a', 'sel_b', 'filter.x', 'x_cli']],
    ['_*', ['_private']],
    ['them', ['selection', 'selection_a', 'sel_b', 'filter.x', 'x_cli']],
    ['filter*', ['filter.x']],
    ['sel', []],
  ])('%s', (pattern, expected) => {
    expect(selectIdentifiers(pattern, names)).toEqual(expected);
  });
});

describe('conditionToFilter', () => {
  it('substitutes selections and flattens nested and/or', () => {
    const a = { op: 'eq', field: 'a', value: 1 } as const;
    const b = { op: 'exists', field: 'b' } as const;
    const selections = new Map<string, FilterNode>([
      ['a', { op: 'and', children: [a, b] } as const],
      ['b', b],
    ]);
    const filter = conditionToFilter({ op: 'and', children: [{ op: 'ref', name: 'a' }, { op: 'not', child: { op: 'ref', name: 'b' } }] }, selections);
    expect(filter).toEqual({ op: 'and', children: [a, b, { op: 'not', child: b }] });
  });

  it('throws on a reference without a selection (a bug in the caller)', () => {
    expect(() => conditionToFilter({ op: 'ref', name: 'x' }, new Map())).toThrow(/no compiled selection/);
  });
});
