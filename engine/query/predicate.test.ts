import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../core/ecs/event.js';
import type { FilterNode } from '../../core/query/filter.js';
import { CORPUS } from '../../test/contracts/event-store-fixtures.js';
import {
  CONFORMANCE_CORPUS,
  FILTER_CASES,
  INVALID_FILTERS,
  KNOWN_DSL_DIVERGENCES,
  SIGMA_CASES,
  SIGMA_CORPUS,
  STREAMING_CASES,
} from '../../test/conformance/filter-cases.js';
import { eventContext } from './event-context.js';
import { compilePredicate, explainMatch, isoWeek } from './predicate.js';

const idsOf = (corpus: readonly EcsEvent[], filter: FilterNode): string[] => {
  const predicate = compilePredicate(filter);
  return corpus.filter((event) => predicate(eventContext(event))).map((event) => event.event?.id ?? '').sort();
};
const invalidQuery = expect.objectContaining({ code: 'WATCHPOST_ERR_STORE_INVALID_QUERY', intent: 'user' });
const thrownBy = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
};

// The same tables the stores answer in test/conformance (there the three are compared).
describe('compilePredicate over the shared case tables', () => {
  it.each(FILTER_CASES)('contract corpus: %s', (_name, filter, expected) => {
    expect(idsOf(CORPUS, filter)).toEqual(expected);
  });
  it.each(SIGMA_CASES)('Sigma corpus: %s', (_name, filter, expected) => {
    expect(idsOf(SIGMA_CORPUS, filter)).toEqual(expected);
  });
  it.each(KNOWN_DSL_DIVERGENCES)('Sigma corpus: %s', (_name, filter, expected) => {
    expect(idsOf(SIGMA_CORPUS, filter)).toEqual(expected);
  });
  it.each(STREAMING_CASES)('streaming: %s', (_name, filter, expected) => {
    expect(idsOf(CONFORMANCE_CORPUS, filter)).toEqual(expected);
  });
  it.each(INVALID_FILTERS)('refuses %s at compile time', (_name, filter) => {
    expect(thrownBy(() => compilePredicate(filter))).toEqual(invalidQuery);
  });
});

describe('compilePredicate', () => {
  it('refuses bad fieldref and timepart filters with the store UserError', () => {
    const bad: FilterNode[] = [
      { op: 'fieldref', field: 'user.name', other: 'bad other', mode: 'eq' },
      { op: 'timepart', field: '@timestamp', part: 'hour' },
      { op: 'timepart', field: '@timestamp', part: 'hour', eq: Number.POSITIVE_INFINITY },
      { op: 'timepart', field: '@timestamp', part: 'fortnight' as 'hour', eq: 1 },
      { op: 'regex', field: 'message', pattern: 'a{1001}' }, // beyond RE2's repeat limit
      { op: 'or', children: [{ op: 'contains', field: 'a', value: 'x' }, { op: 'contains', field: 'a', value: 'y' }, { op: 'contains', field: 'bad/', value: 'z' }] },
    ];
    for (const filter of bad) expect(thrownBy(() => compilePredicate(filter))).toEqual(invalidQuery);
  });

  it('reads flat dotted keys and nested objects alike (C17), and arrays of objects (C16)', () => {
    const predicate = compilePredicate({ op: 'eq', field: 'url.original', value: '/X' });
    expect(predicate(eventContext({ url: { original: '/x' } }))).toBe(true);
    expect(predicate(eventContext({ 'url.original': '/x' }))).toBe(true);
    expect(predicate(eventContext({ url: [{ original: '/y' }, { original: '/x' }] }))).toBe(true);
    expect(predicate(eventContext({ url: { original: '/y' } }))).toBe(false);
  });

  it('stays linear on a pattern that stalls backtracking engines', () => {
    // (a+)+$ on "aaaa…!" takes exponential time in a backtracking engine; RE2 answers at once.
    const predicate = compilePredicate({ op: 'regex', field: 'message', pattern: '(a+)+$' });
    expect(predicate(eventContext({ message: `${'a'.repeat(5000)}!` }))).toBe(false);
    expect(predicate(eventContext({ message: 'a'.repeat(5000) }))).toBe(true);
  });

  it('gives an or of many literals the answer of its children one by one', () => {
    // A seeded generator: small alphabets make hits, misses and overlapping literals likely.
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['a', 'b', 'A', 'ß', 'ẞ', '😀', '\\', '*'];
    const word = (max: number): string => Array.from({ length: 1 + random(max) }, () => alphabet[random(alphabet.length)]).join('');
    const ops = ['eq', 'contains', 'startswith', 'endswith'] as const;
    for (let round = 0; round < 200; round++) {
      const caseSensitive = random(2) === 0;
      const children: FilterNode[] = Array.from({ length: 3 + random(12) }, () => ({ op: ops[random(4)] as (typeof ops)[number], field: 'f', value: round === 0 ? '' : word(3), caseSensitive }));
      const whole = compilePredicate({ op: 'or', children });
      const each = children.map((child) => compilePredicate(child));
      for (let v = 0; v < 20; v++) {
        const values = random(3) === 0 ? [word(6), word(6)] : word(8);
        const ctx = eventContext({ f: values });
        expect(whole(ctx), JSON.stringify({ children, values })).toBe(each.some((p) => p(ctx)));
      }
    }
  });
});

describe('explainMatch', () => {
  const event = eventContext({
    user: { name: 'Root' },
    url: { original: '/WP-ADMIN/x.php' },
    tags: ['ssh', 'Auth'],
    source: { port: 22 },
  });

  it('lists the holding leaves of holding branches with the event value as written', () => {
    const filter: FilterNode = {
      op: 'and',
      children: [
        { op: 'or', children: [{ op: 'contains', field: 'url.original', value: 'wp-admin' }, { op: 'eq', field: 'user.name', value: 'nobody' }] },
        { op: 'eq', field: 'tags', value: 'auth' },
        { op: 'eq', field: 'source.port', value: '22' },
        { op: 'not', child: { op: 'eq', field: 'user.name', value: 'root' } },
      ],
    };
    expect(explainMatch(filter, event)).toEqual([]); // the not fails, so the and does
    const holding: FilterNode = { op: 'and', children: filter.op === 'and' ? filter.children.slice(0, 3) : [] };
    expect(explainMatch(holding, event)).toEqual([
      { field: 'url.original', value: '/WP-ADMIN/x.php' },
      { field: 'tags', value: 'Auth' },
      { field: 'source.port', value: 22 },
    ]);
  });

  it('names every holding alternative of an or, and nothing under a not', () => {
    const filter: FilterNode = {
      op: 'or',
      children: [
        { op: 'eq', field: 'user.name', value: 'root' },
        { op: 'startswith', field: 'url.original', value: '/wp' },
        { op: 'not', child: { op: 'exists', field: 'process.name' } },
      ],
    };
    expect(explainMatch(filter, event)).toEqual([
      { field: 'user.name', value: 'Root' },
      { field: 'url.original', value: '/WP-ADMIN/x.php' },
    ]);
  });
});

describe('isoWeek', () => {
  it.each([
    ['2021-01-03', 53],
    ['2021-01-04', 1],
    ['2024-03-01', 9],
    ['2024-12-30', 1],
    ['2026-12-31', 53],
    ['2027-01-01', 53],
  ])('%s is week %i', (day, week) => {
    expect(isoWeek(new Date(`${day}T12:00:00Z`))).toBe(week);
  });
});
