import { describe, expect, it } from 'vitest';
import { testContext } from '../firewall-b-support/test-context.js';
import { checkpointParser, parseCheckpointPairs } from './parser.js';

describe('checkpoint', () => {
  it('reads escaped quotes, backslashes and brackets inside values', () => {
    const pairs = parseCheckpointPairs('[a:"x; y"; b:"say \\"hi\\""; c:"Standard\\]"; d:"C:\\\\tmp";]');
    expect(Object.fromEntries(pairs ?? [])).toEqual({ a: 'x; y', b: 'say "hi"', c: 'Standard]', d: 'C:\\tmp' });
  });

  it('keeps what it read of a truncated record', () => {
    expect(Object.fromEntries(parseCheckpointPairs('[action:"Accept"; src:"10.0.0') ?? [])).toEqual({ action: 'Accept', src: '10.0.0' });
  });

  it('does not take NAT fields of 0.0.0.0 for a translation', () => {
    const result = checkpointParser.parse(testContext('[action:"Accept"; src:"10.0.0.1"; dst:"192.0.2.1"; xlatesrc:"0.0.0.0"; xlatesport:"0"]'));
    expect('event' in result && result.event.source).toEqual({ ip: '10.0.0.1' });
  });

  it('refuses lines without Check Point fields and JSON', () => {
    expect(checkpointParser.parse(testContext('[foo:"bar"]'))).toEqual({ failure: 'no_match' });
    expect(checkpointParser.matches(testContext('{"action":"Accept"}'))).toBe(false);
  });
});
