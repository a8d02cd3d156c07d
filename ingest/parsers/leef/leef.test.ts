import { describe, expect, it } from 'vitest';
import { decodeLeef } from './parser.js';

describe('LEEF decoder', () => {
  it('reads LEEF 1.0 tab-separated attributes with spaces in values', () => {
    const record = decodeLeef('LEEF:1.0|V|P|1|E1|src=10.0.0.1\tmsg=two words\tsev=3');
    expect(Object.fromEntries(record?.attributes ?? [])).toEqual({ src: '10.0.0.1', msg: 'two words', sev: '3' });
  });

  it('honours the LEEF 2.0 delimiter, literal or hex', () => {
    expect(decodeLeef('LEEF:2.0|V|P|1|E|^|a=1^b=2')?.attributes.get('b')).toBe('2');
    expect(decodeLeef('LEEF:2.0|V|P|1|E|0x3b|a=1;b=2')?.attributes.get('b')).toBe('2');
  });

  it('falls back to key boundaries when tabs became spaces', () => {
    expect(Object.fromEntries(decodeLeef('LEEF:1.0|V|P|1|E|src=1.2.3.4 cat=Some Thing dst=5.6.7.8')?.attributes ?? [])).toEqual({ src: '1.2.3.4', cat: 'Some Thing', dst: '5.6.7.8' });
  });

  it('refuses an unknown version or a short header', () => {
    expect(decodeLeef('LEEF:3.0|V|P|1|E|a=1')).toBeUndefined();
    expect(decodeLeef('LEEF:1.0|V|P')).toBeUndefined();
  });
});
