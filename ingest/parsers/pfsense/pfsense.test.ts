import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import { pfsenseParser } from './parser.js';

function context(text: string): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', event: { kind: 'event', original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: 0 }, text, base, timezone: 'UTC' };
}

describe('pfsense parser', () => {
  it('reads the IPv6 column layout', () => {
    const result = pfsenseParser.parse(context('4,,,1000000001,em0,match,block,in,6,0x00,0x00000,64,UDP,17,40,2001:db8::1,2001:db8::2,5000,53,32'));
    expect('event' in result && result.event.source).toEqual({ address: '2001:db8::1', ip: '2001:db8::1', port: 5000 });
    expect('event' in result && result.event.network?.type).toBe('ipv6');
  });

  it('strips an unparsed filterlog tag', () => {
    const result = pfsenseParser.parse(context('filterlog[1]: 4,,,1,em0,match,pass,out,4,0x0,,64,1,0,DF,17,udp,60,192.0.2.1,192.0.2.2,1,2,40'));
    expect('event' in result && result.event.event?.action).toBe('pass');
  });

  it('refuses short or non-IP lines', () => {
    expect(pfsenseParser.parse(context('1,2,3'))).toEqual({ failure: 'no_match' });
    expect(pfsenseParser.parse(context('4,,,1,em0,match,pass,out,9,a,b,c,d,e,f,g,h,i,j,k'))).toEqual({ failure: 'no_match' });
  });
});
