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

  it('reads the protection-state events by their sentence, short or long', () => {
    const cases: [string, string, string][] = [
      ['Microsoft Defender Antivirus Real-time Protection scanning for malware and other potentially unwanted software was disabled.', '5001', 'real-time-protection-disabled'],
      ['Windows Defender: Real-time Protection is disabled.', '5001', 'real-time-protection-disabled'],
      ['Microsoft Defender Antivirus scanning for spyware and other potentially unwanted software is disabled.', '5010', 'antispyware-disabled'],
      ['Microsoft Defender Antivirus scanning for viruses is disabled.', '5012', 'antivirus-disabled'],
      ['Microsoft Defender Antivirus Real-time Protection feature configuration has changed. Feature: Behavior Monitoring', '5004', 'real-time-protection-configuration-changed'],
      ['Microsoft Defender Antivirus Configuration has changed. Product Name: Microsoft Defender Antivirus Old value: A = 0x0 New value: A = 0x1', '5007', 'configuration-changed'],
    ];
    for (const [text, code, action] of cases) {
      const result = microsoftDefenderParser.parse(context(text));
      if (!('event' in result)) throw new Error(`refused ${text}`);
      expect(result.event.event, text).toMatchObject({ code, action, category: ['configuration'], kind: 'event' });
    }
  });

  it('keeps the old and new values of a configuration change and prefers a forwarded event id', () => {
    const change = microsoftDefenderParser.parse(context('Microsoft Defender Antivirus Configuration has changed.\tOld value: K\\DisableRealtimeMonitoring = 0x0\tNew value: K\\DisableRealtimeMonitoring = 0x1'));
    expect('event' in change && change.event.labels).toEqual({ old_value: 'K\\DisableRealtimeMonitoring = 0x0', new_value: 'K\\DisableRealtimeMonitoring = 0x1' });
    const byId = microsoftDefenderParser.parse(context('Microsoft Defender EventID=5012 (text not rendered)'));
    expect('event' in byId && byId.event.event?.action).toBe('antivirus-disabled');
  });

  it('reads NXLog and Winlogbeat JSON of the Defender provider only', () => {
    const nxlog = microsoftDefenderParser.parse(context('{"EventID":5001,"SourceName":"Microsoft-Windows-Windows Defender","Hostname":"PC1.corp","EventTime":"2026-11-24 08:00:00","Message":"x"}'));
    if (!('event' in nxlog)) throw new Error('refused');
    expect(nxlog.event.event).toMatchObject({ code: '5001', action: 'real-time-protection-disabled' });
    expect(nxlog.event['@timestamp']).toBe('2026-11-24T08:00:00.000Z');
    expect(nxlog.event.host?.name).toBe('pc1.corp');
    const winlogbeat = microsoftDefenderParser.parse(context('{"message":"m","winlog":{"event_id":"5010","provider_name":"Microsoft-Windows-Windows Defender"}}'));
    expect('event' in winlogbeat && winlogbeat.event.event?.action).toBe('antispyware-disabled');
    expect(microsoftDefenderParser.parse(context('{"EventID":5001,"SourceName":"Some-Other-Provider","Message":"x"}'))).toEqual({ failure: 'no_match' });
  });
});

