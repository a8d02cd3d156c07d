import { describe, expect, it } from 'vitest';
import type { ModifierProblem } from './modifiers.js';
import { MODIFIER_NAMES, applyModifiers, checkCidr, parseModifierChain, resolveModifier } from './modifiers.js';

function chain(names: string[], fieldBound = true) {
  const problems: ModifierProblem[] = [];
  return { chain: parseModifierChain(names, problems, fieldBound), problems };
}

describe('the modifier table', () => {
  it('has the 31 modifiers of the specification and the pySigma aliases', () => {
    expect(MODIFIER_NAMES).toHaveLength(31);
    expect(new Set(MODIFIER_NAMES).size).toBe(31);
    expect(resolveModifier('ignorecase')).toBe('i');
    expect(resolveModifier('multiline')).toBe('m');
    expect(resolveModifier('dotall')).toBe('s');
    expect(resolveModifier('Contains')).toBeUndefined();
  });
});

describe('parseModifierChain (chaining rules)', () => {
  it('accepts all and neq anywhere', () => {
    expect(chain(['all', 'contains', 'neq']).chain).toMatchObject({ all: true, neq: true, values: ['contains'] });
    expect(chain(['contains', 'all']).chain).toMatchObject({ all: true, values: ['contains'] });
  });

  it.each([
    [['contains', 're'], 'modifier-order'],
    [['cidr', 'contains'], 'modifier-order'],
    [['base64', 'exists'], 'modifier-order'],
    [['i'], 'modifier-order'],
    [['contains', 'm'], 'modifier-order'],
    [['gt', 'hour'], 'modifier-order'],
    [['wide', 'utf16be'], 'modifier-order'],
    [['base64offset'], 'base64offset-without-contains'],
    [['nope'], 'unknown-modifier'],
  ])('%j → %s', (names, code) => {
    const { chain: result, problems } = chain(names);
    expect(result).toBeUndefined();
    expect(problems.map((p) => p.code)).toContain(code);
  });

  it('accepts the orders pySigma accepts', () => {
    for (const names of [['re', 'i', 'm', 's'], ['re', 'contains'], ['wide', 'base64offset', 'contains'], ['hour', 'gte'], ['fieldref', 'startswith', 'cased'], ['windash', 'contains', 'all']]) {
      expect(chain(names).problems, names.join('|')).toEqual([]);
    }
  });

  it('needs a field for exists, fieldref and time parts', () => {
    expect(chain(['exists'], false).problems.map((p) => p.code)).toEqual(['modifier-order']);
    expect(chain(['contains', 'all'], false).problems).toEqual([]);
  });

  it('warns about a repeated modifier, but not about base64', () => {
    expect(chain(['contains', 'contains']).problems).toMatchObject([{ severity: 'warning', code: 'duplicate-modifier' }]);
    expect(chain(['base64', 'base64']).problems).toEqual([]);
  });
});

describe('applyModifiers', () => {
  const apply = (names: string[], value: string | number | boolean | null, raw = String(value), keyword = false) =>
    applyModifiers({ value, raw }, parseModifierChain(names, [], !keyword)!, keyword);

  it('gives strings the wildcards of contains/startswith/endswith', () => {
    expect(apply(['startswith'], 'a')).toEqual({ k: 'str', s: [{ t: 'lit', s: 'a' }, { t: 'any' }], cased: false });
  });

  it('keeps a plain number a number, and its source text for string modifiers', () => {
    expect(apply([], 0o755, '0755')).toEqual({ k: 'num', n: 493 });
    expect(apply(['contains'], 0o755, '0755')).toMatchObject({ k: 'str', s: [{ t: 'any' }, { t: 'lit', s: '0755' }, { t: 'any' }] });
  });

  it('searches keywords as substrings unless a modifier places them', () => {
    expect(apply([], 'x', 'x', true)).toMatchObject({ k: 'str', s: [{ t: 'any' }, { t: 'lit', s: 'x' }, { t: 'any' }] });
    expect(apply(['startswith'], 'x', 'x', true)).toMatchObject({ k: 'str', s: [{ t: 'lit', s: 'x' }, { t: 'any' }] });
    expect(apply(['re'], 'x+', 'x+', true)).toEqual({ k: 'regex', pattern: 'x+', ignoreCase: false });
  });

  it('refuses null with modifiers and non-numbers for comparisons', () => {
    expect(apply(['contains'], null, '')).toMatchObject({ code: 'invalid-value' });
    expect(apply(['gt'], '5')).toMatchObject({ code: 'number-required' });
    expect(apply(['gt'], Number.NaN, '.nan')).toMatchObject({ code: 'number-required' });
  });

  it('accepts yes/no spelled as strings for exists', () => {
    expect(apply(['exists'], 'no')).toEqual({ k: 'exists', present: false });
    expect(apply(['exists'], 'maybe')).toMatchObject({ code: 'boolean-required' });
  });
});

describe('checkCidr (strict, like Python ip_network)', () => {
  it.each(['10.0.0.0/8', '192.168.1.0/24', '0.0.0.0/0', '203.0.113.7', '203.0.113.7/32', '2001:db8::/32', '::/0', '::1', 'fe80::/10', '::ffff:10.0.0.0/104'])('accepts %s', (cidr) => {
    expect(checkCidr(cidr)).toBeUndefined();
  });
  it.each(['10.0.0.1/8', '192.168.1.1/24', '2001:db8::1/32', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', '10.0.0/8', 'x', '::ffff:10.0.0.1/104', 'fe80::1%eth0/64', 'fe80::%eth0/64'])('refuses %s', (cidr) => {
    expect(checkCidr(cidr)).toEqual(expect.any(String));
  });
});
