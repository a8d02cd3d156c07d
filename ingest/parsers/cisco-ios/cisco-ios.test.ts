import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../core/ecs/event.js';
import { getField } from '../../../core/ecs/fields.js';
import type { RawRecord } from '../../../core/ingest/record.js';
import { createDetector } from '../../../engine/detect/index.js';
import { loadRuleSet } from '../../../engine/sigma/index.js';
import { createNormalizer } from '../../pipeline/normalize.js';
import { PARSERS } from '../index.js';
import type { ParseContext } from '../parser.js';
import { createRouter } from '../router.js';
import { findHeader } from './header.js';
import { decodeMessage } from './messages.js';
import { ciscoIosParser } from './parser.js';

const RECEIVED_AT = Date.parse('2026-11-24T12:00:00Z');

function context(text: string): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', event: { kind: 'event', original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: RECEIVED_AT }, text, base, timezone: 'UTC' };
}

function parsed(text: string): EcsEvent {
  const result = ciscoIosParser.parse(context(text));
  if (!('event' in result)) throw new Error(`refused: ${result.failure}`);
  return result.event;
}

/** Every registered parser, format detection on: what a syslog listener does. */
const normalizeAuto = createNormalizer(createRouter(PARSERS));
function auto(line: string, extra: Partial<RawRecord> = {}): EcsEvent {
  return normalizeAuto({ sourceId: 't', transport: 'udp', data: Buffer.from(line), receivedAt: RECEIVED_AT, timezone: 'UTC', ...extra });
}

describe('cisco-ios header', () => {
  it('reads facility, severity and mnemonic, hyphenated facilities included', () => {
    expect(findHeader('%SYS-5-CONFIG_I: Configured')).toMatchObject({ start: 0, facility: 'SYS', severity: 5, mnemonic: 'CONFIG_I', body: 17 });
    expect(findHeader('x: %IP-TCP-3-BADAUTH: Invalid MD5')).toMatchObject({ start: 3, facility: 'IP-TCP', severity: 3, mnemonic: 'BADAUTH' });
    expect(findHeader('1: %SSH-5-SSH2_USERAUTH:')).toMatchObject({ facility: 'SSH', mnemonic: 'SSH2_USERAUTH' });
  });

  it('refuses ASA, FTD and other numeric-id messages, and percent signs that are not headers', () => {
    expect(findHeader('%ASA-6-302013: Built inbound TCP connection')).toBeUndefined();
    expect(findHeader('%ASA-session-5-611103: User logged out')).toBeUndefined();
    expect(findHeader('%FTD-1-430003: x')).toBeUndefined();
    expect(findHeader('%PIX-4-106023: Deny')).toBeUndefined();
    expect(findHeader('CPU at 95% for 5-10 minutes: %SYS-9-X: no')).toBeUndefined();
    expect(findHeader('disk 100%-1-FULL: x')).toBeUndefined();
    expect(findHeader('%SYS-5-CONFIG_I no colon')).toBeUndefined();
  });

  it('leaves ASA lines to cisco-asa under format detection', () => {
    const event = auto('<166>Nov 24 2026 10:00:00 fw1 : %ASA-6-605005: Login permitted from 10.1.1.7/52100 to inside:10.1.1.1/ssh for user "netadmin"');
    expect(event.watchpost?.parse?.parser).toBe('cisco-asa');
    expect(ciscoIosParser.matches(context('%ASA-6-605005: Login permitted'))).toBe(false);
  });
});

describe('cisco-ios parser', () => {
  it('is chosen by format detection for IOS lines', () => {
    const event = auto('<189>77: Nov 24 10:00:00.100 UTC: %SYS-5-CONFIG_I: Configured from console by ops on vty0 (10.1.1.9)');
    expect(event.watchpost?.parse?.parser).toBe('cisco-ios');
    expect(event.event).toMatchObject({ dataset: 'cisco_ios.log', code: 'CONFIG_I', category: ['configuration'] });
    expect(event.user?.name).toBe('ops');
    expect(event.source?.ip).toBe('10.1.1.9');
    expect(getField(event, 'cisco.ios.facility')).toBe('SYS');
  });

  it('reads a header the syslog decoder took for the program name', () => {
    const event = auto('<189>Nov 24 10:00:00 sw1 %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: x] [Source: 192.0.2.7] [localport: 22] at 10:00:00 UTC');
    expect(event.watchpost?.parse?.parser).toBe('cisco-ios');
    expect(event.event).toMatchObject({ code: 'LOGIN_FAILED', outcome: 'failure', category: ['authentication'] });
    expect(event.message).toMatch(/^%SEC_LOGIN-4-LOGIN_FAILED: Login failed/);
    expect(event.process).toBeUndefined();
  });

  it('keeps the header in message, sets log.level from the severity and the observer', () => {
    const event = parsed('%LINK-3-UPDOWN: Interface Gi0/1, changed state to up');
    expect(event.message).toBe('%LINK-3-UPDOWN: Interface Gi0/1, changed state to up');
    expect(event.log?.level).toBe('error');
    expect(event.observer).toMatchObject({ vendor: 'Cisco', product: 'IOS', ingress: { interface: { name: 'Gi0/1' } } });
    expect(event.event?.action).toBe('interface-up');
  });

  it('uses a synchronised device time when the line has no syslog header, and ignores an unsynchronised one', () => {
    const synced = parsed('10.1.1.2 8812: Nov 24 09:40:03.673 UTC: %SYS-5-RESTART: System restarted');
    expect(synced['@timestamp']).toBe('2026-11-24T09:40:03.673Z');
    expect(synced.event?.sequence).toBe(8812);
    expect(synced.host?.name).toBe('10.1.1.2');
    const unsynced = parsed('8813: *Mar  1 00:03:20.123: %SYS-5-RESTART: System restarted');
    expect(unsynced['@timestamp']).toBe('2026-11-24T12:00:00.000Z');
  });

  it('refuses a line without an IOS header', () => {
    expect(ciscoIosParser.parse(context('Configured from console by admin'))).toEqual({ failure: 'no_match' });
  });
});

describe('cisco-ios messages', () => {
  it('tells a user from a terminal line in SYS-5-CONFIG_I', () => {
    expect(decodeMessage('SYS', 'CONFIG_I', 'Configured from console by admin on vty0 (10.1.1.5)')).toMatchObject({ user: 'admin', line: 'vty0', sourceIp: '10.1.1.5' });
    const noAaa = decodeMessage('SYS', 'CONFIG_I', 'Configured from console by vty2 (10.1.1.6)');
    expect(noAaa).toMatchObject({ line: 'vty2', sourceIp: '10.1.1.6' });
    expect(noAaa?.user).toBeUndefined();
  });

  it('reads the logged command and the login brackets', () => {
    expect(decodeMessage('PARSER', 'CFGLOG_LOGGEDCMD', 'User:admin  logged command:no aaa new-model')).toMatchObject({ user: 'admin', commandLine: 'no aaa new-model' });
    expect(decodeMessage('SEC_LOGIN', 'LOGIN_SUCCESS', 'Login Success [user: a b] [Source: 2001:db8::5] [localport: 23] at x')).toMatchObject({
      user: 'a b',
      sourceIp: '2001:db8::5',
      destinationPort: 23,
      outcome: 'success',
    });
  });

  it('reads ACL log hits with and without ports', () => {
    expect(decodeMessage('SEC', 'IPACCESSLOGDP', 'list 101 permitted icmp 10.0.0.1 -> 10.0.0.2 (8/0), 4 packets')).toMatchObject({
      action: 'permitted',
      sourceIp: '10.0.0.1',
      destinationIp: '10.0.0.2',
      transport: 'icmp',
      ruleName: '101',
    });
    expect(decodeMessage('SEC', 'IPACCESSLOGS', 'list 10 denied 198.51.100.7 1 packet')).toMatchObject({ action: 'denied', sourceIp: '198.51.100.7' });
  });

  it('leaves an unknown or malformed message undecoded', () => {
    expect(decodeMessage('SYS', 'CONFIG_I', 'something else')).toBeUndefined();
    expect(decodeMessage('OSPF', 'ADJCHG', 'Process 1, Nbr 10.0.0.2 on Gi0/0 from FULL to DOWN')).toBeUndefined();
  });
});

describe('cisco-ios with the SigmaHQ Cisco AAA rules', () => {
  it('raises the command rules on the logged command', async () => {
    const rules = fileURLToPath(new URL('../../../rules/', import.meta.url));
    const ruleSet = await loadRuleSet({ paths: [`${rules}sigmahq/rules/network/cisco/aaa`], pipelinesDir: `${rules}pipelines` });
    const detector = createDetector(ruleSet);
    const titles = (line: string): string[] => detector.evaluate(auto(line)).map((match) => match.rule.title);
    expect(titles('<189>12: Nov 24 10:00:00.100 UTC: %PARSER-5-CFGLOG_LOGGEDCMD: User:ops  logged command:no dot1x system-auth-control')).toEqual(['Cisco Dot1x Disabled']);
    expect(titles('<189>13: Nov 24 10:00:01.100 UTC: %LINEPROTO-5-UPDOWN: Line protocol on Interface Gi0/2, changed state to up')).toEqual([]);
  });
});
