import { describe, expect, it } from 'vitest';
import { localTimeToIso, parseKeyValues, toMac, toPort, toUrl } from './fields.js';

describe('firewall-b helpers', () => {
  it('reads key=value with double, single and unterminated quotes and stray words', () => {
    const pairs = parseKeyValues(`a=1 b="two words" c='x y' d= e=C443- P29 f="open end`);
    expect(Object.fromEntries(pairs)).toEqual({ a: '1', b: 'two words', c: 'x y', d: '', e: 'C443- P29', f: 'open end' });
  });

  it('keeps the first of repeated keys', () => {
    expect(parseKeyValues('a=1 a=2').get('a')).toBe('1');
  });

  it('validates ports and MACs', () => {
    expect(toPort('65535')).toBe(65535);
    expect(toPort('65536')).toBeUndefined();
    expect(toPort('-1')).toBeUndefined();
    expect(toMac('3c:22:fb:91:0a:7e')).toBe('3C-22-FB-91-0A-7E');
    expect(toMac('3c:22:fb:91:0a')).toBeUndefined();
  });

  it('reads local times in a zone', () => {
    expect(localTimeToIso('2025/07/01 08:00:00', 'Europe/Berlin')).toBe('2025-07-01T06:00:00.000Z');
    expect(localTimeToIso('2025-13-01 08:00:00', 'UTC')).toBeUndefined();
  });

  it('splits URLs with and without a scheme', () => {
    expect(toUrl('https://a.example:8443/x/y.php?q=1#f')).toEqual({
      original: 'https://a.example:8443/x/y.php?q=1#f',
      full: 'https://a.example:8443/x/y.php?q=1#f',
      scheme: 'https',
      domain: 'a.example',
      port: 8443,
      path: '/x/y.php',
      query: 'q=1',
      extension: 'php',
    });
    expect(toUrl('b.example/')).toEqual({ original: 'b.example/', domain: 'b.example', path: '/' });
  });
});
