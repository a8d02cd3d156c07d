import { describe, expect, it } from 'vitest';
import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import { clamavParser } from './parser.js';

function context(text: string, appName?: string): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', message: text, ecs: { version: ECS_VERSION }, event: { original: text } };
  const syslog = appName === undefined ? {} : { syslog: { appName } as unknown as NonNullable<ParseContext['syslog']> };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: Date.parse('2026-11-24T12:00:00Z') }, base, text, timezone: 'UTC', ...syslog };
}

describe('clamav', () => {
  it('takes the signature after the last ": " so paths with colons survive', () => {
    const result = clamavParser.parse(context('/srv/a: b/c.txt: Txt.Test-1 FOUND'));
    if (!('event' in result)) throw new Error('refused');
    expect(result.event.file?.path).toBe('/srv/a: b/c.txt');
    expect(result.event.threat?.software?.name).toBe('Txt.Test-1');
  });

  it('refuses an unrelated line without a ClamAV program, keeps it with one', () => {
    expect(clamavParser.parse(context('something else'))).toEqual({ failure: 'no_match' });
    const result = clamavParser.parse(context('Listening daemon: PID: 1873', 'clamd'));
    expect('event' in result && result.event.event?.dataset).toBe('clamav.clamd');
  });

  it('reads the LogTime prefix in the source zone', () => {
    const ctx = { ...context('Tue Nov 24 10:12:44 2026 -> /x: Eicar-Signature FOUND'), timezone: 'Europe/Berlin' };
    const result = clamavParser.parse(ctx);
    expect('event' in result && result.event['@timestamp']).toBe('2026-11-24T09:12:44.000Z');
  });

  it('pre-filters on FOUND and the daemon messages only', () => {
    expect(clamavParser.matches(context('/x: Eicar FOUND'))).toBe(true);
    expect(clamavParser.matches(context('user=root action=found'))).toBe(false);
  });
});
