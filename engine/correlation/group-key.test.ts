import { describe, expect, it } from 'vitest';
import type { CorrelationRule } from '../sigma/types.js';
import { combinations, encodeKeyPart, encodeTuple, groupsOf, MAX_FANOUT, numbersOf, scalarsOf, windowKeys } from './group-key.js';

const rule = (groupBy: string[], aliases: CorrelationRule['aliases'] = {}): CorrelationRule =>
  ({ key: 'c', rules: ['a', 'b'], groupBy, aliases }) as unknown as CorrelationRule;

describe('key encoding', () => {
  it('escapes separators so different tuples never share a key', () => {
    const tuples: (string | number)[][] = [['a|b'], ['a', 'b'], ['a\\', 'b'], ['a\\|b'], ['~x'], ['', 'a|'], ['a|', '']];
    const keys = tuples.map(encodeTuple);
    expect(new Set(keys).size).toBe(tuples.length);
    expect(encodeKeyPart('a|b~c\\d')).toBe('a\\|b\\~c\\\\d');
  });

  it('hashes long values into a bounded part that no literal can spell', () => {
    const long = 'x'.repeat(5000);
    const part = encodeKeyPart(long);
    expect(part).toMatch(/^~[0-9a-f]{32}$/);
    expect(encodeKeyPart(`${long}y`)).not.toBe(part);
    expect(encodeKeyPart(part)).not.toBe(part);
    expect(encodeTuple(Array.from({ length: 20 }, () => 'y'.repeat(60))).length).toBe(33);
  });

  it('spells a number and its text as one group (values compare as text)', () => {
    expect(encodeTuple([22])).toBe(encodeTuple(['22']));
  });

  it('keeps the keys of correlations and groups apart', () => {
    const a = windowKeys('rule|x', 'g');
    const b = windowKeys('rule', 'x|g');
    expect(new Set([a.primary, a.events, a.fired, a.marker, b.primary, b.events, b.fired, b.marker]).size).toBe(8);
  });
});

describe('groupsOf', () => {
  const fields = (doc: Record<string, unknown>) => (field: string) => doc[field];

  it('reads the group-by values, and joins no group when one is missing', () => {
    expect(groupsOf(rule(['source.ip', 'user.name']), 'a', fields({ 'source.ip': '10.0.0.1', 'user.name': 'root' }))).toEqual({
      groups: [{ key: '10.0.0.1|root', values: { 'source.ip': '10.0.0.1', 'user.name': 'root' } }],
      truncated: false,
    });
    expect(groupsOf(rule(['source.ip', 'user.name']), 'a', fields({ 'source.ip': '10.0.0.1' }))).toEqual({ missing: 'user.name' });
    expect(groupsOf(rule(['user.name']), 'a', fields({ 'user.name': '' }))).toEqual({ missing: 'user.name' });
    expect(groupsOf(rule(['user.name']), 'a', fields({ 'user.name': null }))).toEqual({ missing: 'user.name' });
  });

  it('has one global group without group-by', () => {
    expect(groupsOf(rule([]), 'a', fields({}))).toEqual({ groups: [{ key: '', values: {} }], truncated: false });
  });

  it('resolves an alias to the field of the input rule', () => {
    const aliased = rule(['ip'], { ip: { a: 'source.ip', b: 'destination.ip' } });
    const doc = fields({ 'source.ip': '1.1.1.1', 'destination.ip': '2.2.2.2' });
    expect(groupsOf(aliased, 'a', doc)).toMatchObject({ groups: [{ values: { ip: '1.1.1.1' } }] });
    expect(groupsOf(aliased, 'b', doc)).toMatchObject({ groups: [{ values: { ip: '2.2.2.2' } }] });
  });

  it('fans arrays out to one group per value, capped', () => {
    const result = groupsOf(rule(['x', 'y']), 'a', fields({ x: ['1', '2'], y: ['a', 'a', 'b'] }));
    expect('groups' in result && result.groups.map((g) => g.key)).toEqual(['1|a', '1|b', '2|a', '2|b']);
    const many = groupsOf(rule(['x']), 'a', fields({ x: Array.from({ length: 100 }, (_, i) => `v${i}`) }));
    expect('groups' in many && [many.groups.length, many.truncated]).toEqual([MAX_FANOUT, true]);
  });
});

describe('value helpers', () => {
  it('scalarsOf keeps strings, finite numbers and booleans as text', () => {
    expect(scalarsOf([1, 'a', true, null, { a: 1 }, Number.NaN, ''])).toEqual([1, 'a', 'true']);
  });

  it('numbersOf reads numbers and numeric strings only', () => {
    expect(numbersOf(['12', ' 3 ', 'x', '', 4.5, true])).toEqual([12, 3, 4.5]);
  });

  it('combinations is the cartesian product in order', () => {
    expect(combinations([[1, 2], ['a']]).rows).toEqual([
      [1, 'a'],
      [2, 'a'],
    ]);
  });
});
