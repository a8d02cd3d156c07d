import { describe, expect, it } from 'vitest';
import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import { symantecEndpointParser } from './parser.js';

function context(text: string): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', message: text, ecs: { version: ECS_VERSION }, event: { original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: Date.parse('2026-11-24T12:00:00Z') }, base, text, timezone: 'UTC' };
}

describe('symantec-endpoint', () => {
  it('puts the remote host in source for inbound traffic', () => {
    const result = symantecEndpointParser.parse(context('h1,Local Host IP: 10.0.0.2,Local Port: 80,Remote Host IP: 192.0.2.9,Remote Port: 5000,UDP,Inbound,Action: Allowed'));
    if (!('event' in result)) throw new Error('refused');
    expect(result.event.source?.ip).toBe('192.0.2.9');
    expect(result.event.destination?.port).toBe(80);
    expect(result.event.network).toEqual({ transport: 'udp', direction: 'ingress' });
    expect(result.event.event?.type).toEqual(['connection', 'process', 'allowed']);
  });

  it('marks a failed risk action as a failure and refuses other lines', () => {
    const result = symantecEndpointParser.parse(context('Security risk found,Computer name: c,Risk name: W.R,Occurrences: 1,/tmp/x,,Actual action: All actions failed'));
    expect('event' in result && result.event.event?.outcome).toBe('failure');
    expect(symantecEndpointParser.parse(context('a,b,c,d,e'))).toEqual({ failure: 'no_match' });
  });
});
