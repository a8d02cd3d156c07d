import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import { iptablesParser } from './parser.js';

function context(text: string, extra: Partial<ParseContext> = {}): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', event: { kind: 'event', original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: 0 }, text, base, timezone: 'UTC', ...extra };
}

function parse(text: string, extra: Partial<ParseContext> = {}): EcsEvent {
  const result = iptablesParser.parse(context(text, extra));
  if (!('event' in result)) throw new Error(result.failure);
  return result.event;
}

describe('iptables parser', () => {
  it('maps a ufw block to a denied connection', () => {
    const event = parse('[UFW BLOCK] IN=eth0 OUT= MAC=aa:bb:cc:dd:ee:ff:11:22:33:44:55:66:08:00 SRC=203.0.113.1 DST=192.0.2.2 LEN=40 PROTO=TCP SPT=1234 DPT=22 SYN');
    expect(event.event?.action).toBe('block');
    expect(event.event?.type).toEqual(['denied', 'connection']);
    expect(event.source).toEqual({ ip: '203.0.113.1', port: 1234, mac: '11-22-33-44-55-66' });
    expect(event.destination).toEqual({ ip: '192.0.2.2', port: 22, mac: 'AA-BB-CC-DD-EE-FF' });
    expect(event.network).toEqual({ transport: 'tcp', type: 'ipv4' });
  });

  it('reads an EdgeOS ruleset prefix glued to IN=', () => {
    const event = parse('[lan-wan-5-R]IN=eth1 OUT=eth0 SRC=10.0.0.1 DST=198.51.100.1 PROTO=UDP SPT=53 DPT=53');
    expect(event.event?.action).toBe('reject');
    expect(event.rule).toEqual({ name: 'lan-wan', id: '5' });
    expect(event.observer?.ingress).toEqual({ interface: { name: 'eth1' }, zone: 'lan' });
  });

  it('ignores the quoted header of an ICMP error', () => {
    const event = parse('DROP: IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.0.2.2 DST=198.51.100.3 PROTO=UDP SPT=5 DPT=6 ]');
    expect(event.source?.ip).toBe('192.0.2.1');
    expect(event.destination?.port).toBeUndefined();
  });

  it('keeps a numeric protocol as the IANA number', () => {
    expect(parse('IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 PROTO=47').network).toEqual({ iana_number: '47' });
  });

  it('refuses a line without addresses', () => {
    expect(iptablesParser.parse(context('IN=eth0 OUT= hello'))).toEqual({ failure: 'no_match' });
    expect(iptablesParser.parse(context('LOGIN=root'))).toEqual({ failure: 'no_match' });
  });
});
