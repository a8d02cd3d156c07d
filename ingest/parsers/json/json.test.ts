import { describe, expect, it } from 'vitest';
import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import { jsonParser } from './parser.js';

function context(text: string): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', message: text, ecs: { version: ECS_VERSION }, event: { original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: Date.parse('2026-11-24T12:00:00Z') }, base, text, timezone: 'UTC' };
}

describe('json', () => {
  it('never lets a line pollute prototypes or replace event.original', () => {
    const text = '{"__proto__":{"polluted":1},"event":{"original":"x","__proto__":{"p":1}},"source.__proto__.q":1,"source.ip":"10.0.0.1"}';
    const result = jsonParser.parse(context(text));
    if (!('event' in result)) throw new Error('refused');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(result.event.event?.original).toBe(text);
    expect(result.event.source?.ip).toBe('10.0.0.1');
  });

  it('refuses arrays, scalars and broken JSON', () => {
    for (const text of ['[1,2]', '{"a":', '"x"']) expect(jsonParser.parse(context(text))).toEqual({ failure: 'no_match' });
  });

  it('keeps the transport time when @timestamp does not parse', () => {
    const result = jsonParser.parse(context('{"@timestamp":"soon","message":"m"}'));
    expect('event' in result && result.event['@timestamp']).toBe('2026-11-24T12:00:00.000Z');
  });
});
