import { describe, expect, it } from 'vitest';
import type { FilterNode } from '../../core/query/filter.js';
import { eventContext } from '../query/event-context.js';
import type { SigmaLogsource } from '../sigma/types.js';
import { FieldGate, LogsourceIndex, logsourceApplies, requiredFields } from './rule-index.js';

const eq = (field: string, value: string | number = 'x'): FilterNode => ({ op: 'eq', field, value });

describe('requiredFields', () => {
  it('needs every field of a conjunction', () => {
    expect(requiredFields({ op: 'and', children: [eq('url.original'), { op: 'contains', field: 'user_agent.original', value: 'curl' }] })).toEqual([
      ['url.original'],
      ['user_agent.original'],
    ]);
  });

  it('needs one of the fields of a disjunction, distributing small ones exactly', () => {
    expect(requiredFields({ op: 'or', children: [eq('a'), eq('b')] })).toEqual([['a', 'b']]);
    // (a ∧ b) ∨ c = (a ∨ c) ∧ (b ∨ c)
    expect(requiredFields({ op: 'or', children: [{ op: 'and', children: [eq('a'), eq('b')] }, eq('c')] })).toEqual([
      ['a', 'c'],
      ['b', 'c'],
    ]);
    // The same field in every branch stays one clause.
    expect(requiredFields({ op: 'or', children: [eq('url.original', 'a'), { op: 'contains', field: 'url.original', value: 'b' }] })).toEqual([['url.original']]);
  });

  it('needs nothing under not, nor for an or with a branch that needs nothing', () => {
    expect(requiredFields({ op: 'not', child: eq('a') })).toEqual([]);
    expect(requiredFields({ op: 'and', children: [eq('a'), { op: 'not', child: eq('b') }] })).toEqual([['a']]);
    expect(requiredFields({ op: 'or', children: [eq('a'), { op: 'not', child: eq('b') }] })).toEqual([]);
    expect(requiredFields({ op: 'and', children: [] })).toEqual([]);
  });

  it('never holds for an empty or, and an or skips branches that never hold', () => {
    expect(requiredFields({ op: 'or', children: [] })).toEqual([[]]);
    expect(requiredFields({ op: 'and', children: [eq('a'), { op: 'or', children: [] }] })).toEqual([[]]);
    expect(requiredFields({ op: 'or', children: [{ op: 'or', children: [] }, eq('a')] })).toEqual([['a']]);
  });

  it('knows the fields of fieldref and text', () => {
    expect(requiredFields({ op: 'fieldref', field: 'a', other: 'b', mode: 'eq' })).toEqual([['a'], ['b']]);
    expect(requiredFields({ op: 'text', value: 'failed password' })).toEqual([['event.original', 'message']]);
  });

  it('weakens a large disjunction to one clause instead of blowing up', () => {
    const branch = (i: number): FilterNode => ({ op: 'and', children: [eq(`a${i}`), eq(`b${i}`)] });
    const need = requiredFields({ op: 'or', children: [0, 1, 2, 3, 4, 5].map(branch) });
    expect(need).toHaveLength(1);
    expect(need[0]).toHaveLength(6);
  });
});

describe('FieldGate', () => {
  it('checks clauses against the event, a field present when it holds a scalar', () => {
    const gate = new FieldGate();
    const urlAndUa = gate.compile([['url.original'], ['user_agent.original']]);
    const urlOrMessage = gate.compile([['message', 'url.original']]);
    gate.begin(eventContext({ url: { original: '/x' }, user_agent: { original: null } }));
    expect(gate.holds(urlAndUa)).toBe(false);
    expect(gate.holds(urlOrMessage)).toBe(true);
    gate.begin(eventContext({ 'url.original': '/x', user_agent: { original: ['curl'] } }));
    expect(gate.holds(urlAndUa)).toBe(true);
    gate.begin(eventContext({}));
    expect(gate.holds(urlOrMessage)).toBe(false);
    expect(gate.holds(gate.compile([]))).toBe(true);
    expect(gate.holds(gate.compile([[]]))).toBe(false);
  });
});

describe('logsourceApplies', () => {
  const auth: SigmaLogsource[] = [
    { product: 'linux', service: 'auth' },
    { product: 'linux', service: 'sshd' },
  ];
  it('applies when one event logsource states every attribute the rule states', () => {
    expect(logsourceApplies({ product: 'linux' }, auth)).toBe(true);
    expect(logsourceApplies({ product: 'linux', service: 'sshd' }, auth)).toBe(true);
    expect(logsourceApplies({ product: 'linux', service: 'sudo' }, auth)).toBe(false);
    expect(logsourceApplies({ category: 'process_creation', product: 'linux' }, auth)).toBe(false);
  });
  it('does not combine attributes of two event logsources', () => {
    const mixed: SigmaLogsource[] = [{ category: 'firewall' }, { product: 'linux' }];
    expect(logsourceApplies({ category: 'firewall', product: 'linux' }, mixed)).toBe(false);
  });
  it('applies a rule without logsource attributes to every event, even one without logsource', () => {
    expect(logsourceApplies({}, [])).toBe(true);
    expect(logsourceApplies({ category: 'webserver' }, [])).toBe(false);
  });
});

describe('LogsourceIndex', () => {
  it('computes the applicable list once per distinct logsource set', () => {
    let calls = 0;
    const resolver = {
      logsourcesOf(event: unknown): readonly SigmaLogsource[] {
        calls += 1;
        const dataset = (event as { d: string }).d;
        // A fresh array each time, as a resolver may build it: the index must key on content.
        return dataset === 'web' ? [{ category: 'webserver' }] : dataset === 'auth' ? [{ product: 'linux', service: 'auth' }] : [];
      },
    };
    const entries = [
      { name: 'web', logsource: { category: 'webserver' } },
      { name: 'linux', logsource: { product: 'linux' } },
      { name: 'any', logsource: {} },
    ];
    const index = new LogsourceIndex(entries, resolver, (list) => list);
    const names = (d: string): string[] => index.lookup({ d }).map((entry) => entry.name);
    expect(names('web')).toEqual(['web', 'any']);
    expect(names('auth')).toEqual(['linux', 'any']);
    expect(names('other')).toEqual(['any']);
    for (let i = 0; i < 100; i++) names(i % 2 === 0 ? 'web' : 'auth');
    expect(index.signatures).toBe(3);
    expect(calls).toBe(103);
    expect(index.lookup({ d: 'web' })).toBe(index.lookup({ d: 'web' }));
  });
});
