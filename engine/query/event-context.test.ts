import { describe, expect, it } from 'vitest';
import { resolvePath } from '../../core/query/paths.js';
import { eventContext } from './event-context.js';

describe('resolvePath', () => {
  it('finds a path as nested objects, flat dotted keys and any mix (C17)', () => {
    const event = { url: { original: 'a', 'x.y': 'mixed' }, 'url.original': 'b', 'url.x': { y: 'c' } };
    expect(resolvePath(event, 'url.original')).toEqual(['a', 'b']);
    expect(resolvePath(event, 'url.x.y')).toEqual(['mixed', 'c']);
  });

  it('fans arrays out at the leaf and on the way, nested arrays flattened (C16)', () => {
    const event = { dns: { answers: [{ name: 'a' }, { name: ['b', ['c']] }, { type: 'A' }] }, tags: ['x', null, 'y'] };
    expect(resolvePath(event, 'dns.answers.name')).toEqual(['a', 'b', 'c']);
    expect(resolvePath(event, 'tags')).toEqual(['x', 'y']);
  });

  it('gives nothing for a missing path, a null and a path through a scalar', () => {
    expect(resolvePath({ a: null, b: 'x' }, 'a')).toEqual([]);
    expect(resolvePath({ b: 'x' }, 'b.c')).toEqual([]);
    expect(resolvePath({}, 'a.b')).toEqual([]);
  });

  it('ignores inherited properties', () => {
    expect(resolvePath({}, 'constructor')).toEqual([]);
    expect(resolvePath({}, 'toString')).toEqual([]);
  });
});

describe('eventContext', () => {
  it('splits scalars, strings and folded strings, and keeps them for the event', () => {
    const ctx = eventContext({ f: ['İSTANBUL', 7, true, { inner: 1 }, 'ΣΑΣ'] });
    const values = ctx.field('f');
    expect(values.scalars).toEqual(['İSTANBUL', 7, true, 'ΣΑΣ']);
    expect(values.strings).toEqual(['İSTANBUL', 'ΣΑΣ']);
    expect(values.folded).toEqual(['istanbul', 'σασ']);
    expect(ctx.field('f')).toBe(values);
    expect(values.folded).toBe(values.folded);
  });

  it('counts as present a non-null scalar, or an object holding one somewhere', () => {
    const ctx = eventContext({ empty: '', obj: { a: { b: 0 } }, hollow: { a: null, b: [] }, list: [], nulls: [null] });
    expect(['empty', 'obj', 'hollow', 'list', 'nulls', 'missing'].map((f) => ctx.field(f).present)).toEqual([true, true, false, false, false, false]);
  });

  it('collects the words of message and event.original once', () => {
    const ctx = eventContext({ message: 'Failed for ROOT', event: { original: ['sshd[42]: x', 3] } });
    const words = ctx.textWords();
    expect([...words].sort()).toEqual(['42', 'failed', 'for', 'root', 'sshd', 'x']);
    expect(ctx.textWords()).toBe(words);
  });

  it('survives a hostile nesting depth', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(eventContext({ a: deep }).field('a').scalars).toEqual([]);
  });
});
