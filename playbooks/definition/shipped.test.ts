/**
 * The playbooks shipped in playbooks/: each loads without a problem, starts on an alert shaped
 * like the one its rule raises (rule key, title, level and tags read from rules/watchpost, so a
 * rule renamed or re-keyed breaks this test), not on others, and renders inputs its actions accept.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Alert, Incident, Severity } from '../../core/cases/types.js';
import { ACTIONS } from '../actions/definitions.js';
import { evaluateCondition } from './condition.js';
import { loadPlaybooks, parsePlaybooks } from './load.js';
import { renderInputs, type TemplateContext } from './template.js';
import { matchesTrigger, type TriggerSubject } from './trigger.js';
import type { Playbook } from './types.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SHIPPED = join(ROOT, 'playbooks');

interface RuleDoc {
  readonly id?: string;
  readonly name?: string;
  readonly title: string;
  readonly level?: Severity;
  readonly tags?: string[];
}

function rulesUnder(dir: string): RuleDoc[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return rulesUnder(path);
    if (!entry.name.endsWith('.yml') || entry.name.endsWith('.tests.yml')) return [];
    return parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => doc.toJS() as RuleDoc);
  });
}
const RULES = rulesUnder(join(ROOT, 'rules', 'watchpost'));

/** An alert as engine/alerting raises it for the rule named `name`: ruleId is the rule key (id, else name). */
function alertOf(name: string, entities: Record<string, string>): Alert {
  const rule = RULES.find((candidate) => candidate.name === name);
  if (!rule) throw new Error(`no rule named ${name} under rules/watchpost`);
  return {
    id: `alert-${name}`,
    dedupKey: `${rule.id ?? name}|${JSON.stringify(entities)}`,
    ruleId: rule.id ?? name,
    ruleTitle: rule.title,
    ruleAuthor: 'Watchpost',
    severity: rule.level ?? 'medium',
    riskScore: 60,
    status: 'new',
    incidentId: 'incident-1',
    count: 1,
    firstSeen: '2026-11-24T10:00:00.000Z',
    lastSeen: '2026-11-24T10:05:00.000Z',
    entities,
    eventIds: ['e-1', 'e-2'],
    explanation: { selections: [], matches: Object.entries(entities).map(([field, value]) => ({ field, value })) },
    tags: rule.tags ?? [],
    transports: ['tcp'],
    createdAt: '2026-11-24T10:05:00.000Z',
    updatedAt: '2026-11-24T10:05:00.000Z',
  };
}

const incident: Incident = {
  id: 'incident-1',
  title: 'Brute force and login from 203.0.113.7',
  status: 'new',
  severity: 'critical',
  tags: ['attack.t1110'],
  entity: { field: 'source.ip', value: '203.0.113.7' },
  alertIds: ['a-1', 'a-2'],
  observables: [],
  tasks: [],
  createdAt: '2026-11-24T10:05:00.000Z',
  updatedAt: '2026-11-24T10:05:00.000Z',
};

const loaded = loadPlaybooks({ dirs: [SHIPPED] });
const byId = (id: string): Playbook => {
  const playbook = loaded.playbooks.find((candidate) => candidate.id === id);
  if (!playbook) throw new Error(`no shipped playbook ${id}`);
  return playbook;
};

/** Renders every step as the runner would (earlier steps succeeded) and checks the action's schema. */
function renderAll(playbook: Playbook, subject: TriggerSubject): Record<string, unknown>[] {
  const steps: Record<string, { status: string }> = {};
  return playbook.steps.map((step) => {
    const context: TemplateContext = {
      ...(subject.kind === 'alert' ? { alert: subject.alert } : { incident: subject.incident }),
      playbook: { id: playbook.id, title: playbook.title },
      run: { id: `${playbook.id}.x` },
      steps,
    };
    const input = renderInputs(step.with, context);
    // The runner sets the TTL from the safety policy, starting from what the step asks for.
    const final = ACTIONS[step.action].blockKind === 'ip' ? { ...input, ttlSeconds: input['ttlSeconds'] ?? 14_400 } : input;
    expect([...Value.Errors(ACTIONS[step.action].input, final)].map((e) => `${step.id}: ${e.path} ${e.message}`)).toEqual([]);
    steps[step.id] = { status: 'succeeded' };
    return final;
  });
}

const SSH_BRUTE = alertOf('watchpost_ssh_brute_force', { 'source.ip': '203.0.113.7' });
const PORT_SCAN = alertOf('watchpost_firewall_port_scan', { 'source.ip': '198.51.100.23' });
const HOST_SWEEP = alertOf('watchpost_firewall_host_sweep', { 'source.ip': '198.51.100.24' });
const SUCCESS = alertOf('watchpost_ssh_success_after_failures', { 'source.ip': '203.0.113.7', 'user.name': 'alice' });
const MALWARE = alertOf('watchpost_av_malware_detected', { 'host.name': 'pc-17', 'file.path': 'C:\\Users\\bob\\x.exe', 'threat.software.name': 'Eicar-Test-Signature', 'user.name': 'bob' });
const AV_OFF = alertOf('watchpost_av_protection_disabled', { 'host.name': 'pc-18' });
const AV_FAILED = alertOf('watchpost_av_remediation_failed', { 'host.name': 'pc-19', 'threat.software.name': 'Trojan.X' });
const ALL_ALERTS = [SSH_BRUTE, PORT_SCAN, HOST_SWEEP, SUCCESS, MALWARE, AV_OFF, AV_FAILED];

const matching = (subject: TriggerSubject): string[] => loaded.playbooks.filter((playbook) => matchesTrigger(playbook, subject)).map((playbook) => playbook.id).sort();

describe('the shipped playbooks', () => {
  it('load with no problem: at least the five the issue asks for', () => {
    expect(loaded.problems).toEqual([]);
    expect(loaded.playbooks.map((playbook) => playbook.id)).toEqual(
      expect.arrayContaining(['block-ssh-brute-force', 'block-port-scanner', 'disable-account-after-spraying', 'notify-antivirus-detection', 'ticket-critical-incidents']),
    );
  });

  it('each alert starts exactly the playbooks meant for it', () => {
    expect(matching({ kind: 'alert', alert: SSH_BRUTE })).toEqual(['block-ssh-brute-force']);
    expect(matching({ kind: 'alert', alert: PORT_SCAN })).toEqual(['block-port-scanner']);
    expect(matching({ kind: 'alert', alert: HOST_SWEEP })).toEqual(['block-port-scanner']);
    expect(matching({ kind: 'alert', alert: SUCCESS })).toEqual(['disable-account-after-spraying']);
    for (const alert of [MALWARE, AV_OFF, AV_FAILED]) expect(matching({ kind: 'alert', alert })).toEqual(['notify-antivirus-detection']);
    expect(matching({ kind: 'alert', alert: alertOf('watchpost_firewall_repeated_denies', { 'source.ip': '192.0.2.1' }) })).toEqual([]);
    expect(matching({ kind: 'incident', incident })).toEqual(['ticket-critical-incidents']);
    expect(matching({ kind: 'incident', incident: { ...incident, severity: 'high' } })).toEqual([]);
  });

  it('do not start without the entity they act on', () => {
    expect(matching({ kind: 'alert', alert: { ...SSH_BRUTE, entities: {} } })).toEqual([]);
    // A correlation alert carries its group-by fields; without user.name there is no account to disable.
    expect(matching({ kind: 'alert', alert: { ...SUCCESS, entities: { 'source.ip': '203.0.113.7' } } })).toEqual([]);
  });

  it('render inputs their actions accept', () => {
    for (const alert of ALL_ALERTS) {
      for (const playbook of loaded.playbooks.filter((candidate) => matchesTrigger(candidate, { kind: 'alert', alert }))) renderAll(playbook, { kind: 'alert', alert });
    }
    const [block, notify] = renderAll(byId('block-ssh-brute-force'), { kind: 'alert', alert: SSH_BRUTE });
    expect(block).toEqual({ address: '203.0.113.7', ttlSeconds: 14_400, reason: 'SSH Brute Force From One Address: 203.0.113.7 (alert alert-watchpost_ssh_brute_force)' });
    expect(notify).toMatchObject({ subject: 'Watchpost: SSH brute force from 203.0.113.7', severity: 'medium' });
    expect(renderAll(byId('block-port-scanner'), { kind: 'alert', alert: PORT_SCAN })[0]).toMatchObject({ address: '198.51.100.23', ttlSeconds: 4 * 3600 });
    expect(renderAll(byId('disable-account-after-spraying'), { kind: 'alert', alert: SUCCESS })[1]).toMatchObject({ account: 'alice', ttlSeconds: 24 * 3600 });
    expect(renderAll(byId('notify-antivirus-detection'), { kind: 'alert', alert: AV_OFF })[0]).toMatchObject({ subject: 'Watchpost: Antivirus Protection Disabled on pc-18', severity: 'high' });
    const [ticket] = renderAll(byId('ticket-critical-incidents'), { kind: 'incident', incident });
    expect(ticket).toMatchObject({ title: incident.title, severity: 'critical', reference: 'incident-1' });
    expect(ticket?.['description']).toContain('Alerts: a-1, a-2');
  });

  it('the example of docs/specs/playbooks.md loads and runs its second step only after a failed block', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'specs', 'playbooks.md'), 'utf8');
    const example = /## Example[^\n]*\n\n```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const parsed = parsePlaybooks(example as string, 'playbooks.md', { drivers: [{ id: 'edge-nft', type: 'nftables', actions: ['block-ip'] }, { id: 'blocklist-feed', type: 'feed', actions: ['block-ip'] }] });
    expect(parsed.problems).toEqual([]);
    const playbook = parsed.playbooks[0] as Playbook;
    expect(matchesTrigger(playbook, { kind: 'alert', alert: SSH_BRUTE })).toBe(true);
    const page = playbook.steps[1];
    const context = (status: string): TemplateContext => ({ alert: SSH_BRUTE, playbook, run: { id: 'r' }, steps: { block: { status } } });
    expect(page?.when && evaluateCondition(page.when, context('failed'))).toBe(true);
    expect(page?.when && evaluateCondition(page.when, context('succeeded'))).toBe(false);
  });

  it('disabling an account always waits for a person', () => {
    const disable = byId('disable-account-after-spraying').steps.find((step) => step.action === 'disable-account');
    expect(disable?.approval).toBe('required');
  });
});
