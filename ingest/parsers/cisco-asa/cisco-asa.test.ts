import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import { endpointOf } from './messages.js';
import { ciscoAsaParser } from './parser.js';

function context(text: string): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', event: { kind: 'event', original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: Date.parse('2026-11-24T12:00:00Z') }, text, base, timezone: 'UTC' };
}

describe('cisco-asa parser', () => {
  it('splits interface names that contain colons from IPv4 and IPv6 addresses', () => {
    expect(endpointOf('v1:outside:10.8.1.9/54864')).toEqual({ iface: 'v1:outside', ip: '10.8.1.9', port: 54864 });
    expect(endpointOf('outside:2001:db8::1/53')).toEqual({ iface: 'outside', ip: '2001:db8::1', port: 53 });
    expect(endpointOf('10.0.0.1')).toEqual({ ip: '10.0.0.1' });
    expect(endpointOf('garbage')).toEqual({});
  });

  it('keeps an unknown message id with its code, severity and text', () => {
    const result = ciscoAsaParser.parse(context('%ASA-5-999001: something new'));
    expect('event' in result && result.event.event?.code).toBe('999001');
    expect('event' in result && result.event.message).toBe('something new');
    expect('event' in result && result.event.observer).toEqual({ vendor: 'Cisco', product: 'asa', type: 'firewall' });
  });

  it('uses the device timestamp when it names its zone', () => {
    const result = ciscoAsaParser.parse(context('Nov 24 06:00:00 EST: %ASA-6-302016: x'));
    expect('event' in result && result.event['@timestamp']).toBe('2026-11-24T11:00:00.000Z');
  });

  it('refuses text without a well-formed marker', () => {
    expect(ciscoAsaParser.parse(context('%ASA-x-106023: Deny'))).toEqual({ failure: 'no_match' });
  });
});
