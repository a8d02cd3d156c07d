import { describe, expect, it } from 'vitest';
import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import { esetParser } from './parser.js';

function context(text: string): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', message: text, ecs: { version: ECS_VERSION }, event: { original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: Date.parse('2026-11-24T12:00:00Z') }, base, text, timezone: 'Europe/Berlin' };
}

describe('eset', () => {
  it('reads occured as UTC whatever the source zone', () => {
    const result = esetParser.parse(context('{"event_type":"Threat_Event","occured":"24-Nov-2026 09:33:01","threat_name":"X"}'));
    expect('event' in result && result.event['@timestamp']).toBe('2026-11-24T09:33:01.000Z');
  });

  it('keeps the transport time for a bad occured and refuses non-ESET JSON', () => {
    const result = esetParser.parse(context('{"event_type":"Audit_Event","occured":"32-Foo-2026 99:00:00"}'));
    expect('event' in result && result.event['@timestamp']).toBe('2026-11-24T12:00:00.000Z');
    expect(esetParser.parse(context('{"event_type":"login"}'))).toEqual({ failure: 'no_match' });
  });
});
