import { describe, expect, it } from 'vitest';
import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import { decodeCef, decodeExtension } from './decode.js';
import { cefParser } from './parser.js';
import { parseDeviceTime } from './time.js';

function context(text: string, timezone = 'UTC'): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', message: text, ecs: { version: ECS_VERSION }, event: { original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: Date.parse('2026-11-24T12:00:00Z') }, base, text, timezone };
}

describe('CEF decoder', () => {
  it('splits the header with escaped pipes and backslashes', () => {
    const record = decodeCef('CEF:0|Ven\\|dor|Prod\\\\uct|1.0|42|Name|5|a=1');
    expect(record).toMatchObject({ version: '0', vendor: 'Ven|dor', product: 'Prod\\uct', signatureId: '42', name: 'Name', severity: '5' });
  });

  it('reads values with spaces up to the next key and unescapes them', () => {
    const pairs = decodeExtension('msg=hello world a\\=b line\\nnext src=10.0.0.1 path=C:\\\\temp\\\\x cs1Label=My Label');
    expect(Object.fromEntries(pairs)).toEqual({ msg: 'hello world a=b line\nnext', src: '10.0.0.1', path: 'C:\\temp\\x', cs1Label: 'My Label' });
  });

  it('keeps an escaped equals sign inside a word as part of the value', () => {
    expect(Object.fromEntries(decodeExtension('request=/q?x\\=1 act=allow'))).toEqual({ request: '/q?x=1', act: 'allow' });
  });

  it('refuses a truncated header and an empty extension is fine', () => {
    expect(decodeCef('CEF:0|a|b|c|d|e')).toBeUndefined();
    expect(decodeCef('CEF:0|a|b|c|d|e|1|')?.extensions.size).toBe(0);
    expect(decodeCef('CEF:x|a|b|c|d|e|1|')).toBeUndefined();
  });

  it('finds CEF after a relay prefix', () => {
    expect(decodeCef('relay: CEF:1|a|b|c|d|e|1|src=1.2.3.4')?.extensions.get('src')).toBe('1.2.3.4');
  });
});

describe('device times', () => {
  const received = Date.parse('2026-11-24T12:00:00Z');
  it('reads epoch milliseconds, RFC 3339 and MMM dd yyyy with a zone', () => {
    expect(parseDeviceTime('1795512010123', 'UTC', received)).toBe('2026-11-24T09:20:10.123Z');
    expect(parseDeviceTime('2026-11-24T10:00:00+01:00', 'UTC', received)).toBe('2026-11-24T09:00:00.000Z');
    expect(parseDeviceTime('Nov 24 2026 10:00:00 Europe/Paris', 'UTC', received)).toBe('2026-11-24T09:00:00.000Z');
    expect(parseDeviceTime('Nov 24 2026 10:00:00', 'Europe/Paris', received)).toBe('2026-11-24T09:00:00.000Z');
    expect(parseDeviceTime('Nov 24 10:00:00.250', 'UTC', received)).toBe('2026-11-24T10:00:00.250Z');
    expect(parseDeviceTime('yesterday', 'UTC', received)).toBeUndefined();
  });
});

describe('cef parser', () => {
  it('maps custom strings to labels by their label and keeps unknown keys bounded', () => {
    const extra = Array.from({ length: 80 }, (_, i) => `k${i}=v${i}`).join(' ');
    const result = cefParser.parse(context(`CEF:0|V|P|1|9|N|2|cs3Label=Rule Set cs3=core ${extra}`));
    if (!('event' in result)) throw new Error('refused');
    expect(result.event.labels?.rule_set).toBe('core');
    expect(Object.keys(result.event.labels ?? {})).toHaveLength(50);
  });

  it('puts back the CEF marker a BSD header took as the program', () => {
    const ctx = { ...context('0|V|P|1|9|N|2|src=10.1.1.1'), syslog: { appName: 'CEF' } as unknown as NonNullable<ParseContext['syslog']> };
    const result = cefParser.parse(ctx);
    expect('event' in result && result.event.source?.ip).toBe('10.1.1.1');
  });

  it('refuses a line without CEF', () => {
    expect(cefParser.parse(context('hello'))).toEqual({ failure: 'no_match' });
  });
});
