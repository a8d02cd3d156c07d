import { describe, expect, it } from 'vitest';
import { eventContext } from '../query/event-context.js';
import type { ConditionNode, DetectionRule } from '../sigma/types.js';
import { compileExplainer, matchedRule, positiveRefs } from './explain.js';

const ref = (name: string): ConditionNode => ({ op: 'ref', name });

describe('positiveRefs', () => {
  it('keeps selections under an even number of nots', () => {
    const condition: ConditionNode = {
      op: 'and',
      children: [ref('sel'), { op: 'not', child: { op: 'or', children: [ref('filter_a'), { op: 'not', child: ref('double') }] } }],
    };
    expect([...positiveRefs(condition)].sort()).toEqual(['double', 'sel']);
  });
});

const base = {
  kind: 'detection',
  key: 'k',
  title: 'T',
  level: 'low',
  references: [],
  tags: [],
  falsepositives: [],
  fields: [],
  custom: {},
  source: { file: 'rules/watchpost/web.yml', line: 12, col: 1 },
  logsource: {},
  filtersApplied: [],
} as const;

describe('compileExplainer', () => {
  it('reports each value once and at most 64 values', () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ op: 'eq' as const, field: `f${i}`, value: 'x' }));
    const rule: DetectionRule = {
      ...base,
      detection: { selections: new Map([['sel', { op: 'and', children: many }]]), condition: ref('sel') },
      filter: { op: 'and', children: many },
    };
    const doc = Object.fromEntries(many.map((leaf) => [leaf.field, 'X']));
    const { selections, matched } = compileExplainer(rule).explain(eventContext(doc));
    expect(selections).toEqual(['sel']);
    expect(matched).toHaveLength(64);
    expect(matched[0]).toEqual({ field: 'f0', value: 'X', selection: 'sel' });
  });
});

describe('matchedRule', () => {
  it('carries the author and file:line, and leaves out what the rule lacks', () => {
    expect(matchedRule({ ...base, author: 'Florian Roth (Nextron Systems)' })).toEqual({
      key: 'k',
      title: 'T',
      level: 'low',
      author: 'Florian Roth (Nextron Systems)',
      tags: [],
      source: 'rules/watchpost/web.yml:12',
    });
  });
});
