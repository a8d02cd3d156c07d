import { describe, expect, it } from 'vitest';
import type { Alert, Incident } from '../../core/cases/types.js';
import { parsePlaybooks } from './load.js';
import type { TemplateContext } from './template.js';
import { matchesTrigger, stepNeedsApproval } from './trigger.js';
import type { Playbook } from './types.js';

function playbook(trigger: string, extra = ''): Playbook {
  const text = `id: p\ntitle: P\n${extra}trigger:\n${trigger}\nsteps:\n  - id: tell\n    action: notify\n    with: { subject: s, message: m }\n`;
  const loaded = parsePlaybooks(text, 'p.yml');
  expect(loaded.problems).toEqual([]);
  return loaded.playbooks[0] as Playbook;
}

const alert = {
  id: 'a-1',
  ruleId: 'F88732C5-e5a2-43e1-83cc-a0caa5f0a7bc',
  ruleTitle: 'SSH Brute Force From One Address',
  severity: 'medium',
  entities: { 'source.ip': '203.0.113.7' },
  tags: ['attack.credential-access', 'attack.t1110.001'],
} as unknown as Alert;
const incident = { id: 'i-1', title: 'I', severity: 'high', tags: ['ssh'], alertIds: ['a-1'], entity: { field: 'source.ip', value: '203.0.113.7' } } as unknown as Incident;
const onAlert = { kind: 'alert', alert } as const;
const onIncident = { kind: 'incident', incident } as const;

describe('matchesTrigger', () => {
  it('on: the subject kind must match', () => {
    expect(matchesTrigger(playbook('  on: alert'), onAlert)).toBe(true);
    expect(matchesTrigger(playbook('  on: alert'), onIncident)).toBe(false);
    expect(matchesTrigger(playbook('  on: incident'), onIncident)).toBe(true);
    expect(matchesTrigger(playbook('  on: incident'), onAlert)).toBe(false);
  });

  it('rules: any of them is the alert rule key, compared case-insensitively', () => {
    expect(matchesTrigger(playbook('  on: alert\n  rules: [other, f88732c5-e5a2-43e1-83cc-a0caa5f0a7bc]'), onAlert)).toBe(true);
    expect(matchesTrigger(playbook('  on: alert\n  rules: [watchpost_ssh_brute_force]'), onAlert)).toBe(false);
    expect(matchesTrigger(playbook('  on: alert\n  rules: [watchpost_ssh_brute_force]'), { kind: 'alert', alert: { ...alert, ruleId: 'watchpost_ssh_brute_force' } })).toBe(true);
  });

  it('tags: any of them, case-insensitively, on alerts and incidents', () => {
    expect(matchesTrigger(playbook('  on: alert\n  tags: [attack.T1110.001, nothing]'), onAlert)).toBe(true);
    expect(matchesTrigger(playbook('  on: alert\n  tags: [attack.t1110]'), onAlert)).toBe(false);
    expect(matchesTrigger(playbook('  on: incident\n  tags: [SSH]'), onIncident)).toBe(true);
  });

  it('minSeverity: at least that severity', () => {
    expect(matchesTrigger(playbook('  on: alert\n  minSeverity: medium'), onAlert)).toBe(true);
    expect(matchesTrigger(playbook('  on: alert\n  minSeverity: high'), onAlert)).toBe(false);
    expect(matchesTrigger(playbook('  on: incident\n  minSeverity: high'), onIncident)).toBe(true);
    expect(matchesTrigger(playbook('  on: incident\n  minSeverity: critical'), onIncident)).toBe(false);
  });

  it('when: a condition over the alert or the incident', () => {
    const external = '  on: alert\n  when:\n    not: { field: alert.entities.source.ip, cidr: [10.0.0.0/8] }';
    expect(matchesTrigger(playbook(external), onAlert)).toBe(true);
    expect(matchesTrigger(playbook(external), { kind: 'alert', alert: { ...alert, entities: { 'source.ip': '10.0.0.5' } } })).toBe(false);
    expect(matchesTrigger(playbook('  on: incident\n  when: { field: incident.entity.field, equals: source.ip }'), onIncident)).toBe(true);
  });

  it('every part given must hold', () => {
    const all = '  on: alert\n  rules: [f88732c5-e5a2-43e1-83cc-a0caa5f0a7bc]\n  tags: [attack.t1110.001]\n  minSeverity: low\n  when: { field: alert.entities.source.ip, exists: true }';
    expect(matchesTrigger(playbook(all), onAlert)).toBe(true);
    expect(matchesTrigger(playbook(all), { kind: 'alert', alert: { ...alert, tags: [] } })).toBe(false);
    expect(matchesTrigger(playbook(all), { kind: 'alert', alert: { ...alert, entities: {} } })).toBe(false);
  });

  it('a disabled playbook matches nothing', () => {
    expect(matchesTrigger(playbook('  on: alert', 'enabled: false\n'), onAlert)).toBe(false);
  });
});

describe('stepNeedsApproval', () => {
  const text = [
    'id: p',
    'title: P',
    'trigger: { on: alert }',
    'steps:',
    '  - { id: auto, action: notify, with: { subject: s, message: m } }',
    '  - { id: always, action: notify, approval: required, with: { subject: s, message: m } }',
    '  - id: internal',
    '    action: block-ip',
    '    approval: { requiredIf: { field: alert.entities.source.ip, cidr: [10.0.0.0/8] } }',
    '    with: { address: "{{ alert.entities.source.ip }}", reason: r }',
  ].join('\n');
  const loaded = parsePlaybooks(text, 'p.yml');
  const [auto, always, internal] = loaded.playbooks[0]?.steps ?? [];
  const context = (ip: string): TemplateContext => ({ alert: { ...alert, entities: { 'source.ip': ip } }, playbook: { id: 'p', title: 'P' }, run: { id: 'r' }, steps: {} });

  it('follows the playbook: auto, required, requiredIf', () => {
    expect(loaded.problems).toEqual([]);
    expect(stepNeedsApproval(auto!, context('10.0.0.1'))).toBe(false);
    expect(stepNeedsApproval(always!, context('203.0.113.7'))).toBe(true);
    expect(stepNeedsApproval(internal!, context('10.0.0.1'))).toBe(true);
    expect(stepNeedsApproval(internal!, context('203.0.113.7'))).toBe(false);
  });
});
