import { describe, expect, it } from 'vitest';
import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import { kvParser, splitPairs } from './parser.js';

function context(text: string): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', message: text, ecs: { version: ECS_VERSION }, event: { original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: Date.parse('2026-11-24T12:00:00Z') }, base, text, timezone: 'UTC' };
}

describe('kv', () => {
  it('splits quoted values with escapes and skips words that are not pairs', () => {
    expect(splitPairs('hello a=1 b="x \\" y" c=\'z\' junk d=')).toEqual([['a', '1'], ['b', 'x " y'], ['c', 'z'], ['d', '']]);
  });

  it('needs three pairs', () => {
    expect(kvParser.matches(context('a=1 b=2'))).toBe(false);
    expect(kvParser.matches(context('x == y == z =='))).toBe(false);
    expect(kvParser.parse(context('a=1 b=2 ='))).toEqual({ failure: 'no_match' });
  });

  it('bounds labels to 50 keys of 1024 characters', () => {
    const text = Array.from({ length: 120 }, (_, i) => `key${i}=${'v'.repeat(2000)}`).join(' ');
    const result = kvParser.parse(context(text));
    if (!('event' in result)) throw new Error('refused');
    const labels = Object.values(result.event.labels ?? {});
    expect(labels).toHaveLength(50);
    expect(labels.every((value) => value.length === 1024)).toBe(true);
  });

  it('does not take an invalid address or port', () => {
    const result = kvParser.parse(context('src=not-an-ip dport=99999 user=bob'));
    if (!('event' in result)) throw new Error('refused');
    expect(result.event.source).toBeUndefined();
    expect(result.event.destination).toBeUndefined();
    expect(result.event.labels).toEqual({ src: 'not-an-ip', dport: '99999' });
  });
});
