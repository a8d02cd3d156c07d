import { describe, expect, it } from 'vitest';
import { searchViewJson } from './case-search-view.js';

const viewOf = (record: unknown): unknown => {
  const json = JSON.stringify(record);
  const view = searchViewJson(json);
  return view === null ? null : JSON.parse(view);
};

describe('searchViewJson', () => {
  it('is null for a record without dotted keys or object arrays, so the table stores it once', () => {
    expect(viewOf({ id: 'a', tags: ['x', 'y'], entity: { field: 'source.ip', value: '203.0.113.7' } })).toBeNull();
  });

  it('reads dotted keys as paths, merging with objects already there', () => {
    expect(viewOf({ entities: { 'source.ip': '203.0.113.7', 'source.port': 22, host: { name: 'a' }, 'host.ip': '10.0.0.1' } })).toEqual({
      entities: { source: { ip: '203.0.113.7', port: 22 }, host: { name: 'a', ip: '10.0.0.1' } },
    });
  });

  it('reads an array of objects as an object of arrays, as Elasticsearch indexes it', () => {
    expect(
      viewOf({
        steps: [
          { id: 'block', result: { 'rule.id': 'r1' }, dryRun: false },
          { id: 'notify', dryRun: true, tags: ['a', 'b'] },
        ],
      }),
    ).toEqual({ steps: { id: ['block', 'notify'], result: { rule: { id: ['r1'] } }, dryRun: [false, true], tags: ['a', 'b'] } });
  });

  it('flattens nested arrays and keeps scalars beside objects', () => {
    expect(viewOf({ a: [[1, [2]], [{ b: 3 }]], c: ['x', { d: 'y' }] })).toEqual({ a: [1, 2, { b: [3] }], c: ['x', { d: ['y'] }] });
  });

  it('lets a dotted key and a nested object share a leaf as a multi-valued field', () => {
    expect(viewOf({ 'a.b': 1, a: { b: 2 } })).toEqual({ a: { b: [1, 2] } });
  });
});
