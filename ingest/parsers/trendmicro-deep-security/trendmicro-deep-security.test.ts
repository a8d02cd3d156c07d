import { describe, expect, it } from 'vitest';
import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';
import { decodeCef } from '../cef/decode.js';
import type { ParseContext } from '../parser.js';
import { deepSecurityLog, trendmicroDeepSecurityParser } from './parser.js';

function context(text: string): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', message: text, ecs: { version: ECS_VERSION }, event: { original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: Date.parse('2026-11-24T12:00:00Z') }, base, text, timezone: 'UTC' };
}

describe('trendmicro-deep-security', () => {
  it.each([
    ['20', 'firewall'],
    ['1000552', 'intrusion_prevention'],
    ['2000001', 'integrity_monitoring'],
    ['3002795', 'log_inspection'],
    ['4000001', 'anti_malware'],
    ['5000000', 'web_reputation'],
    ['6001200', 'application_control'],
    ['x', 'system'],
  ])('classifies signature id %s as %s', (id, log) => {
    const record = decodeCef(`CEF:0|Trend Micro|Deep Security Agent|20|${id}|n|5|act=Log`);
    expect(record && deepSecurityLog(record)).toBe(log);
  });

  it('refuses CEF from another vendor', () => {
    expect(trendmicroDeepSecurityParser.parse(context('CEF:0|Acme|Deep Security Agent|1|4000000|x|5|'))).toEqual({ failure: 'no_match' });
  });

  it('treats IDS: actions (detect only) as allowed alerts', () => {
    const result = trendmicroDeepSecurityParser.parse(context('CEF:0|Trend Micro|Deep Security Agent|20|1001111|Rule|3|act=IDS:Reset src=10.0.0.1'));
    expect('event' in result && result.event.event?.type).toEqual(['info', 'allowed']);
  });

  it('names the malware in threat.software.name and rule.name', () => {
    const result = trendmicroDeepSecurityParser.parse(context('CEF:0|Trend Micro|Deep Security Agent|20|4000000|Eicar_test_file|6|filePath=/tmp/e act=Clean'));
    if (!('event' in result)) throw new Error('refused');
    expect(result.event.threat?.software?.name).toBe('Eicar_test_file');
    expect(result.event.rule?.name).toBe('Eicar_test_file');
    expect(result.event.event?.type).toEqual(['denied']);
  });
});
