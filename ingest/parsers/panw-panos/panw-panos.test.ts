import { describe, expect, it } from 'vitest';
import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import { panwPanosParser, splitCsv } from './parser.js';

function context(text: string, timezone = 'UTC'): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', ecs: { version: ECS_VERSION }, event: { original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: 0 }, base, text, timezone };
}

describe('panw-panos', () => {
  it('splits quoted CSV fields with commas and doubled quotes', () => {
    expect(splitCsv('a,"b,c",,"say ""hi""",d')).toEqual(['a', 'b,c', '', 'say "hi"', 'd']);
    expect(splitCsv('a,"unterminated,x')).toEqual(['a', 'unterminated,x']);
  });

  it('reads the generated time in the configured zone', () => {
    const line = `1,2025/07/01 08:00:00,0123,TRAFFIC,end,2561,2025/07/01 08:00:01,10.0.0.1,192.0.2.9,0.0.0.0,0.0.0.0,r1,,,dns,vsys1,in,out,e1,e2,lf,2025/07/01 08:00:01,1,1,5353,53,0,0,0x0,udp,allow,100,60,40,2,2025/07/01 08:00:00,1,any,0,9,0x0,a,b,0,1,1,aged-out`;
    const result = panwPanosParser.parse(context(line, 'Europe/Berlin'));
    expect('event' in result && result.event['@timestamp']).toBe('2025-07-01T06:00:01.000Z');
    expect('event' in result && result.event.source?.nat).toBeUndefined();
  });

  it('refuses other CSV and unknown log types', () => {
    expect(panwPanosParser.parse(context('a,b,c'))).toEqual({ failure: 'no_match' });
    expect(panwPanosParser.parse(context('1,2025/07/01 08:00:00,0123,NOPE,x,1,2,3,4,5,6'))).toEqual({ failure: 'no_match' });
  });

  it('pre-filters on the CSV shape', () => {
    expect(panwPanosParser.matches(context('1,2025/07/01 08:00:00,0123,TRAFFIC'))).toBe(true);
    expect(panwPanosParser.matches(context('device_name="x"'))).toBe(false);
    expect(panwPanosParser.matches(context('2025/07/01 08:00:00'))).toBe(false);
  });
});
