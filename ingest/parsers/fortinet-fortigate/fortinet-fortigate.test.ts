import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import { parsePairs } from './pairs.js';
import { fortinetFortigateParser } from './parser.js';

function context(text: string, timezone = 'UTC'): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', event: { kind: 'event', original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: 0 }, text, base, timezone };
}

describe('fortinet-fortigate parser', () => {
  it('reads quoted, bare and N/A values and drops a pasted trailing pipe', () => {
    const pairs = parsePairs('a=1 b="x y" c=N/A d="z"| e=');
    expect([...pairs]).toEqual([['a', '1'], ['b', 'x y'], ['c', 'N/A'], ['d', 'z'], ['e', '']]);
  });

  it('reads date and time in the tz= offset, else in the configured zone', () => {
    const withTz = fortinetFortigateParser.parse(context('date=2026-07-01 time=10:00:00 devid="FG1" logid="0000000013" tz="-0700" type="traffic"'));
    expect('event' in withTz && withTz.event['@timestamp']).toBe('2026-07-01T17:00:00.000Z');
    const zoned = fortinetFortigateParser.parse(context('date=2026-07-01 time=10:00:00 devid="FG1" logid="0000000013" type="traffic"', 'Europe/Paris'));
    expect('event' in zoned && zoned.event['@timestamp']).toBe('2026-07-01T08:00:00.000Z');
  });

  it('refuses key=value text that is not FortiOS', () => {
    expect(fortinetFortigateParser.parse(context('user=bob action=login'))).toEqual({ failure: 'no_match' });
  });
});
