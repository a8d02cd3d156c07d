import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../core/ecs/event.js';
import { getField } from '../../../core/ecs/fields.js';
import { createDetector } from '../../../engine/detect/index.js';
import { loadRuleSet } from '../../../engine/sigma/index.js';
import { createNormalizer } from '../../pipeline/normalize.js';
import type { ParseContext } from '../parser.js';
import { createRouter } from '../router.js';
import { parsePairs } from './pairs.js';
import { fortinetFortigateParser } from './parser.js';

function context(text: string, timezone = 'UTC'): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', event: { kind: 'event', original: text } };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: 0 }, text, base, timezone };
}

describe('fortinet-fortigate parser', () => {
  it('reads quoted, bare and N/A values and drops a pasted trailing pipe', () => {
    const pairs = parsePairs('a=1 b="x y" c=N/A d="z"| e=');
    expect([...pairs]).toEqual([['a', '1'], ['b', 'x y'], ['c', 'N/A'], ['d', 'z'], ['e', '']]);
  });

  it('reads date and time in the tz= offset, else in the configured zone', () => {
    const withTz = fortinetFortigateParser.parse(context('date=2026-07-01 time=10:00:00 devid="FG1" logid="0000000013" tz="-0700" type="traffic"'));
    expect('event' in withTz && withTz.event['@timestamp']).toBe('2026-07-01T17:00:00.000Z');
    const zoned = fortinetFortigateParser.parse(context('date=2026-07-01 time=10:00:00 devid="FG1" logid="0000000013" type="traffic"', 'Europe/Paris'));
    expect('event' in zoned && zoned.event['@timestamp']).toBe('2026-07-01T08:00:00.000Z');
  });

  it('refuses key=value text that is not FortiOS', () => {
    expect(fortinetFortigateParser.parse(context('user=bob action=login'))).toEqual({ failure: 'no_match' });
  });

  it('keeps the raw action and the configuration path of a configuration log under fortinet.firewall', () => {
    const line =
      'date=2026-07-01 time=10:00:00 devname="FGT" devid="FG1" logid="0100044547" type="event" subtype="system" user="admin" ui="GUI(10.1.2.3)" action="Delete" cfgpath="firewall.address" cfgobj="x" cfgattr="subnet[1.2.3.4]"';
    const result = fortinetFortigateParser.parse(context(line));
    if (!('event' in result)) throw new Error(result.failure);
    expect(getField(result.event, 'fortinet.firewall.action')).toBe('Delete');
    expect(getField(result.event, 'fortinet.firewall.cfgpath')).toBe('firewall.address');
    expect(getField(result.event, 'fortinet.firewall.cfgobj')).toBe('x');
    expect(getField(result.event, 'fortinet.firewall.cfgattr')).toBe('subnet[1.2.3.4]');
    expect(result.event.event).toMatchObject({ category: ['configuration'], type: ['deletion'] });
    // The administrator's address comes from ui= when the line has no srcip=.
    expect(result.event.source?.ip).toBe('10.1.2.3');
  });

  it('classifies any action of a line with cfgpath as a configuration change', () => {
    const line = 'date=2026-07-01 time=10:00:00 devid="FG1" logid="0100044547" type="event" subtype="system" action="Move" cfgpath="firewall.policy" cfgobj="7"';
    const result = fortinetFortigateParser.parse(context(line));
    expect('event' in result && result.event.event).toMatchObject({ category: ['configuration'], type: ['change'] });
  });
});

describe('fortinet-fortigate with the SigmaHQ FortiGate rules', () => {
  it('raises each configuration rule on its golden event and on no other', async () => {
    const rules = fileURLToPath(new URL('../../../rules/', import.meta.url));
    const ruleSet = await loadRuleSet({ paths: [`${rules}sigmahq/rules/network/fortinet/fortigate`], pipelinesDir: `${rules}pipelines` });
    expect(ruleSet.rules.length).toBe(7);
    const detector = createDetector(ruleSet);
    const normalize = createNormalizer(createRouter([fortinetFortigateParser]));
    const lines = readFileSync(new URL('./testdata/config.log', import.meta.url), 'utf8').split('\n').filter((line) => line.length > 0);
    const fired = lines.map((line) => {
      const event = normalize({ sourceId: 't', transport: 'udp', data: Buffer.from(line), receivedAt: Date.parse('2026-11-24T12:00:00Z') });
      return detector.evaluate(event).map((match) => match.rule.title);
    });
    expect(fired).toEqual([
      ['FortiGate - New Administrator Account Created'],
      ['FortiGate - Firewall Address Object Added'],
      ['FortiGate - New Firewall Policy Added'],
      ['FortiGate - New Local User Created'],
      ['FortiGate - New VPN SSL Web Portal Added'],
      ['FortiGate - User Group Modified'],
      ['FortiGate - VPN SSL Settings Modified'],
      [],
      [],
    ]);
  });
});

