import { describe, expect, it } from 'vitest';
import { deterministicId, timeOrderedId } from './ids.js';

describe('ids', () => {
  it('timeOrderedId sorts in creation order, within one millisecond and when the clock steps back', () => {
    const ids = [timeOrderedId(1_700_000_000_000), timeOrderedId(1_700_000_000_000), timeOrderedId(1_700_000_000_000), timeOrderedId(1_699_999_999_999), timeOrderedId(1_700_000_000_001)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('deterministicId depends on every part and on where parts split', () => {
    expect(deterministicId('a', 'b')).toBe(deterministicId('a', 'b'));
    expect(deterministicId('a', 'b')).not.toBe(deterministicId('ab'));
    expect(deterministicId('a:b')).not.toBe(deterministicId('a', 'b'));
  });
});
