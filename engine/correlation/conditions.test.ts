import { describe, expect, it } from 'vitest';
import type { CorrelationRule } from '../sigma/types.js';
import { aggregate, checkCorrelation, conditionHolds, decisionMode, effectiveCondition, orderedSteps } from './conditions.js';

const rule = (fields: Partial<CorrelationRule>): CorrelationRule =>
  ({
    key: 'r',
    type: 'event_count',
    rules: ['a', 'b'],
    groupBy: [],
    timespanMs: 60_000,
    condition: {},
    aliases: {},
    source: { file: 'f.yml', line: 3, col: 1 },
    ...fields,
  }) as CorrelationRule;
const codes = (fields: Partial<CorrelationRule>) => checkCorrelation(rule(fields)).map((p) => `${p.severity}:${p.code}`);

describe('conditionHolds', () => {
  it.each([
    [{ gt: 5 }, [5, 6], [false, true]],
    [{ gte: 5 }, [4, 5], [false, true]],
    [{ lt: 5 }, [4, 5], [true, false]],
    [{ lte: 5 }, [5, 6], [true, false]],
    [{ eq: 5 }, [4, 5, 6], [false, true, false]],
    [{ neq: 5 }, [4, 5, 6], [true, false, true]],
    [{ gt: 100, lte: 200 }, [100, 101, 200, 201], [false, true, true, false]],
  ])('%o on %o', (condition, values, expected) => {
    expect(values.map((v) => conditionHolds(condition, v))).toEqual(expected);
  });
});

describe('decisionMode', () => {
  it('decides lower bounds on arrival and anything with an upper bound, eq or neq at window close', () => {
    expect([{ gt: 1 }, { gte: 1 }, { lt: 1 }, { lte: 1 }, { eq: 1 }, { neq: 1 }, { gte: 1, lt: 9 }].map(decisionMode)).toEqual([
      'arrival',
      'arrival',
      'close',
      'close',
      'close',
      'close',
      'close',
    ]);
  });
});

describe('effectiveCondition', () => {
  it('defaults temporal types to all rules, keeps explicit conditions', () => {
    expect(effectiveCondition(rule({ type: 'temporal', rules: ['a', 'b', 'c'] }))).toEqual({ gte: 3 });
    expect(effectiveCondition(rule({ type: 'temporal_ordered', condition: { gte: 1 } }))).toEqual({ gte: 1 });
    expect(effectiveCondition(rule({ type: 'event_count' }))).toEqual({});
  });
});

describe('checkCorrelation', () => {
  it('accepts a plain threshold without problems', () => {
    expect(codes({ condition: { gte: 10 } })).toEqual([]);
    expect(codes({ type: 'temporal' })).toEqual([]);
  });

  it('refuses absence conditions with their position', () => {
    for (const condition of [{ eq: 0 }, { lt: 1 }, { lte: 0 }, { lte: 0.5 }]) expect(codes({ condition })).toEqual(['error:correlation-absence-unsupported']);
    expect(checkCorrelation(rule({ condition: { eq: 0 } }))[0]).toMatchObject({ file: 'f.yml', line: 3, col: 1, rule: 'r' });
  });

  it('refuses unsatisfiable, missing and malformed conditions', () => {
    expect(codes({ condition: { gt: 5, lt: 6 } })).toEqual(['error:correlation-condition-unsatisfiable']);
    expect(codes({ condition: { eq: 3, neq: 3 } })).toEqual(['error:correlation-condition-unsatisfiable']);
    expect(codes({ condition: { gte: 3, lte: 3, neq: 3 } })).toEqual(['error:correlation-condition-unsatisfiable']);
    expect(codes({ condition: {} })).toEqual(['error:correlation-condition-missing']);
    expect(codes({ condition: { gt: Number.NaN } })).toEqual(['error:correlation-condition-value']);
    expect(codes({ type: 'value_count', condition: { gte: 2 } })).toEqual(['error:correlation-field-missing']);
    expect(codes({ type: 'value_sum', condition: { gt: 2, field: ['a', 'b'] } })).toEqual(['error:correlation-field-missing']);
    expect(codes({ rules: [], condition: { gte: 1 } })).toEqual(['error:correlation-no-rules']);
    expect(codes({ timespanMs: 0, condition: { gte: 1 } })).toEqual(['error:correlation-timespan']);
  });

  it('warns that upper bounds are decided at window close, and accepts satisfiable ranges', () => {
    expect(codes({ condition: { lt: 5 } })).toEqual(['warning:correlation-decided-at-close']);
    expect(codes({ condition: { gt: 100, lte: 200 } })).toEqual(['warning:correlation-decided-at-close']);
    expect(codes({ type: 'value_avg', condition: { field: ['x'], lt: 0 } })).toEqual(['warning:correlation-decided-at-close']);
  });

  it('needs percentile for the experimental value_percentile', () => {
    expect(codes({ type: 'value_percentile', condition: { field: ['x'], lte: 1 } })).toEqual(['error:correlation-percentile-missing']);
    expect(codes({ type: 'value_percentile', condition: { field: ['x'], percentile: 101, gt: 1 } })).toEqual(['error:correlation-percentile-missing']);
    expect(codes({ type: 'value_percentile', condition: { field: ['x'], percentile: 95, gt: 1 } })).toEqual(['warning:correlation-experimental']);
  });
});

describe('orderedSteps', () => {
  const inputs = (...steps: [number, number][]) => steps.map(([atMs, r]) => ({ atMs, rule: r }));

  it('counts the steps that occur in order, checking every step', () => {
    expect(orderedSteps(inputs([1, 0], [2, 1], [3, 2]), 3)).toBe(3);
    expect(orderedSteps(inputs([1, 0], [2, 2], [3, 1]), 3)).toBe(2);
    expect(orderedSteps(inputs([1, 2], [2, 1], [3, 0]), 3)).toBe(1);
    expect(orderedSteps(inputs([1, 1], [2, 0], [3, 1]), 2)).toBe(2);
    expect(orderedSteps(inputs([5, 1], [5, 0]), 2)).toBe(2);
    expect(orderedSteps([], 2)).toBe(0);
  });
});

describe('aggregate', () => {
  it('sums, averages and takes the nearest-rank percentile', () => {
    expect(aggregate('value_sum', [1, 2, 3.5])).toBe(6.5);
    expect(aggregate('value_avg', [1, 2, 3])).toBe(2);
    expect(aggregate('value_percentile', [5, 1, 4, 2, 3], 50)).toBe(3);
    expect(aggregate('value_percentile', [5, 1, 4, 2, 3], 100)).toBe(5);
    expect(aggregate('value_percentile', [5, 1, 4, 2, 3], 0)).toBe(1);
    expect(aggregate('value_avg', [])).toBe(0);
  });
});
