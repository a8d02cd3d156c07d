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

  it('reads an Agent System Log line and names Auto-Protect being switched off or on', () => {
    const off = symantecEndpointParser.parse(context('WS1,Category: 2,Symantec Endpoint Protection,Auto-Protect is disabled'));
    if (!('event' in off)) throw new Error('refused');
    expect(off.event.event).toMatchObject({ action: 'auto-protect-disabled', category: ['configuration'], provider: 'Agent System Log' });
    expect(off.event.host?.name).toBe('WS1');
    const on = symantecEndpointParser.parse(context('WS1,Category: 2,Symantec Endpoint Protection,Auto-Protect is enabled,Event time: 2026-11-24 10:00:00'));
    expect('event' in on && on.event.event?.action).toBe('auto-protect-enabled');
    expect('event' in on && on.event['@timestamp']).toBe('2026-11-24T10:00:00.000Z');
    const failed = symantecEndpointParser.parse(context('WS1,Category: 2,Symantec Endpoint Protection,Auto-Protect failed to load and is disabled'));
    expect('event' in failed && failed.event.event?.action).toBeUndefined();
  });

  it('keeps commas inside a system description and leaves other messages without an action', () => {
    const result = symantecEndpointParser.parse(context('WS2,Category: 2,Symantec AntiVirus,Scan started on drives, folders, and files.,Group Name: G'));
    if (!('event' in result)) throw new Error('refused');
    expect(result.event.message).toBe('Scan started on drives, folders, and files.');
    expect(result.event.event?.action).toBeUndefined();
    expect(symantecEndpointParser.parse(context('WS2,Category: x,Symantec,text'))).toEqual({ failure: 'no_match' });
  });
});

