import { describe, expect, it } from 'vitest';
import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';
import type { ParseContext } from '../parser.js';
import { defenderTextFields, microsoftDefenderParser } from './parser.js';

function context(text: string): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', message: text, ecs: { version: ECS_VERSION }, event: { original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: Date.parse('2026-11-24T12:00:00Z') }, base, text, timezone: 'UTC' };
}

describe('microsoft-defender', () => {
  it('splits the event text on its labels, not on "Name: " inside "Process Name: "', () => {
    const fields = defenderTextFields('Defender detected. Name: Virus:X ID: 1 Process Name: C:\\a.exe Path: file:_C:\\b');
    expect(fields.get('Name')).toBe('Virus:X');
    expect(fields.get('Process Name')).toBe('C:\\a.exe');
    expect(fields.get('Path')).toBe('file:_C:\\b');
  });

  it('leaves JSON without Defender alert keys to the json parser', () => {
    expect(microsoftDefenderParser.parse(context('{"message":"hi"}'))).toEqual({ failure: 'no_match' });
  });

  it('maps a failed remediation to outcome failure', () => {
    const result = microsoftDefenderParser.parse(context('{"AlertId":"a1","ThreatName":"Trojan:Win32/X","RemediationAction":"remove","RemediationIsSuccess":false}'));
    if (!('event' in result)) throw new Error('refused');
    expect(result.event.event).toMatchObject({ type: ['deletion'], outcome: 'failure', category: ['malware'] });
  });
});
