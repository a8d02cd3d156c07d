import { describe, expect, it } from 'vitest';
import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import { sophosAvParser } from './parser.js';

function context(text: string, timezone = 'UTC'): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', message: text, ecs: { version: ECS_VERSION }, event: { original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: Date.parse('2026-11-24T12:00:00Z') }, base, text, timezone };
}

describe('sophos-av', () => {
  it('reads the SAV log time in the source zone', () => {
    const result = sophosAvParser.parse(context('20261124 093000\tScan \'x\' completed.', 'Europe/Paris'));
    expect('event' in result && result.event['@timestamp']).toBe('2026-11-24T08:30:00.000Z');
  });

  it('fills the XML template with its args, missing ones empty', () => {
    const result = sophosAvParser.parse(context('<log><category>c</category><msg>A %s B %s</msg><arg>1</arg></log>'));
    expect('event' in result && result.event.message).toBe('A 1 B ');
  });

  it('refuses other lines', () => {
    expect(sophosAvParser.parse(context('hello'))).toEqual({ failure: 'no_match' });
    expect(sophosAvParser.matches(context('20261124 093000 no tab'))).toBe(false);
  });
});
