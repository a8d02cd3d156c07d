import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, Incident, TimelineEntry } from '../../core/cases/types.js';
import { ManualClock } from '../../core/clock.js';
import { AlertingConfigSchema, type AlertingConfig } from '../../core/config/schema.js';
import type { EcsEvent } from '../../core/ecs/event.js';
import { randomId } from '../../core/ids.js';
import type { CaseStore, Stored } from '../../core/stores/case-store.js';
import type { JobQueue } from '../../core/stores/job-queue.js';
import type { RuleMatch } from '../../engine/detect/types.js';
import {
  PLAYBOOK_TRIGGER_JOB,
  SOURCE_SILENT_RULE,
  alertIdOf,
  createAlertingService,
  dedupKeyOf,
  triggerJobId,
  windowStartOf,
  type AlertingService,
} from '../../engine/alerting/index.js';

/** How a run of the suite gets its stores, and gives them back. */
export type OpenAlertingStores = () => Promise<{ store: CaseStore; queue: JobQueue; cleanup: () => Promise<void> }>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The alerting config with its defaults, and the overrides a test gives (deep-merged one level). */
export function alertingConfig(overrides: Partial<{ [K in keyof AlertingConfig]: Partial<AlertingConfig[K]> }> = {}): AlertingConfig {
  const base = Value.Default(AlertingConfigSchema, {}) as AlertingConfig;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = (base as Record<string, unknown>)[key];
    merged[key] = typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...(current as object), ...value } : value;
  }
  return merged as AlertingConfig;
}

/** An IP address no other test uses, so tests sharing one store do not see each other's alerts. */
function uniqueIp(): string {
  const hex = randomId();
  return `10.${parseInt(hex.slice(0, 2), 16)}.${parseInt(hex.slice(2, 4), 16)}.${parseInt(hex.slice(4, 6), 16)}`;
}

/** A detection match the way the detector produces one: an SSH failure from `ip`. */
export function sshMatch(ip: string, atIso: string, overrides: Partial<RuleMatch> & { level?: RuleMatch['rule']['level']; ruleKey?: string } = {}): RuleMatch {
  const { level, ruleKey, ...rest } = overrides;
  return {
    rule: {
      key: ruleKey ?? 'a1b2c3d4-ssh-failed-login',
      id: ruleKey ?? 'a1b2c3d4-ssh-failed-login',
      title: 'SSH failed login',
      level: level ?? 'high',
      author: 'Jane Analyst (DRL 1.1)',
      tags: ['attack.credential_access', 'attack.t1110'],
      source: 'rules/watchpost/ssh.yml:1',
    },
    kind: 'detection',
    eventIds: [randomId()],
    at: atIso,
    selections: ['selection'],
    matched: [
      { field: 'event.outcome', value: 'failure', selection: 'selection' },
      { field: 'process.name', value: 'sshd', selection: 'selection' },
    ],
    // User and host unique to the address too, so tests sharing a store share no entity.
    entities: { 'source.ip': ip, 'user.name': `u-${ip}`, 'host.name': `h-${ip}` },
    filtersApplied: [],
    ...rest,
  };
}

async function timelineOf(store: CaseStore, incidentId: string): Promise<TimelineEntry[]> {
  return (await store.timeline.list({ filter: { op: 'eq', field: 'incidentId', value: incidentId, caseSensitive: true }, limit: 1000 })).items;
}

async function incidentOf(store: CaseStore, alert: Alert): Promise<Stored<Incident>> {
  expect(alert.incidentId).toEqual(expect.any(String));
  const incident = await store.incidents.get(alert.incidentId as string);
  expect(incident).toBeDefined();
  return incident as Stored<Incident>;
}

/**
 * The alerting engine's behaviour over one CaseStore and JobQueue: run over every backend, so
 * SQLite and Elasticsearch are held to the same results. Every test builds its own service with
 * its own ManualClock and unique entity values, so tests share the store without seeing each other.
 */
export function describeAlertingBehaviour(name: string, open: OpenAlertingStores): void {
  describe(`alerting over ${name}`, () => {
    let store: CaseStore;
    let queue: JobQueue;
    let cleanup: () => Promise<void>;
    let openError: unknown;
    let clock: ManualClock;

    beforeAll(async () => {
      try {
        ({ store, queue, cleanup } = await open());
      } catch (error) {
        openError = error;
      }
    });

    beforeEach(() => {
      if (openError !== undefined) throw openError instanceof Error ? openError : new Error('opening the stores failed', { cause: openError });
      // A midnight of its own for every test (a random day over some 270 years), so time-ranged
      // queries (MTTA, grouping windows, repeat offenders) see only the test's own records.
      clock = new ManualClock(Date.parse('2030-01-01T00:00:00.000Z') + Math.floor(Math.random() * 100_000) * 24 * HOUR);
    });

    afterAll(async () => {
      if (cleanup) await cleanup();
    });

    const service = (config: AlertingConfig = alertingConfig()): AlertingService => createAlertingService({ store, queue, clock, config });
    const iso = (offsetMs = 0): string => new Date(clock.now() + offsetMs).toISOString();

    describe('alerts from matches', () => {
      it('deduplicates repeats within the window into one alert, with the rule author, explanation and a grouped incident', async () => {
        const alerting = service();
        const ip = uniqueIp();
        const first = sshMatch(ip, iso());
        const second = sshMatch(ip, iso(5 * MINUTE));
        const third = sshMatch(ip, iso(2 * MINUTE));
        const result = await alerting.handle([first, second]);
        expect(result).toMatchObject({ created: 1, repeated: 1, suppressed: 0 });
        await alerting.handle([third]);
        const dedupKey = dedupKeyOf(first.rule.key, { 'source.ip': ip, 'user.name': `u-${ip}`, 'host.name': `h-${ip}` });
        const id = alertIdOf(dedupKey, windowStartOf(clock.now(), HOUR));
        const alert = await store.alerts.get(id);
        expect(alert).toMatchObject({
          id,
          dedupKey,
          ruleId: first.rule.key,
          ruleTitle: 'SSH failed login',
          ruleAuthor: 'Jane Analyst (DRL 1.1)',
          severity: 'high',
          status: 'new',
          count: 3,
          firstSeen: first.at,
          lastSeen: second.at,
          eventIds: [...first.eventIds, ...second.eventIds, ...third.eventIds],
          explanation: { selections: ['selection'], matches: [{ field: 'event.outcome', value: 'failure' }, { field: 'process.name', value: 'sshd' }] },
        });
        expect(alert?.pendingTriggers).toBeUndefined();
        const list = await store.alerts.list({ filter: { op: 'eq', field: 'entities.source.ip', value: ip } });
        expect(list.total).toBe(1);
        const incident = await incidentOf(store, alert!);
        expect(incident).toMatchObject({ status: 'new', severity: 'high', entity: { field: 'source.ip', value: ip }, alertIds: [id] });
        expect(incident.observables).toEqual(expect.arrayContaining([{ type: 'ip', value: ip }, { type: 'user', value: `u-${ip}` }, { type: 'host', value: `h-${ip}` }]));
        const kinds = (await timelineOf(store, incident.id)).map((e) => [e.kind, e.actor]);
        expect(kinds).toEqual([
          ['created', 'system'],
          ['alert_linked', 'system'],
        ]);
      });

      it('opens a new alert when the window rolls over', async () => {
        const alerting = service(alertingConfig({ dedupWindowMs: 10 * MINUTE }));
        const ip = uniqueIp();
        const start = windowStartOf(clock.now(), 10 * MINUTE) + 10 * MINUTE;
        const inFirst = sshMatch(ip, new Date(start - 1).toISOString());
        const inSecond = sshMatch(ip, new Date(start).toISOString());
        const result = await alerting.handle([inFirst, inSecond]);
        expect(result).toMatchObject({ created: 2, repeated: 0 });
        expect(result.alerts[0]!.id).not.toBe(result.alerts[1]!.id);
        expect(result.alerts.map((a) => a.count)).toEqual([1, 1]);
        // Both land in the entity's one open incident.
        expect(result.alerts[0]!.incidentId).toBe(result.alerts[1]!.incidentId);
      });

      it('counts a batch evaluated again (after a crash) once, and lands on the same alert', async () => {
        const alerting = service();
        const match = sshMatch(uniqueIp(), iso());
        const first = await alerting.handle([match]);
        const again = await service().handle([match]);
        expect(again).toMatchObject({ created: 0, repeated: 0, replayed: 1 });
        expect(again.alerts[0]!.id).toBe(first.alerts[0]!.id);
        expect((await store.alerts.get(first.alerts[0]!.id))?.count).toBe(1);
      });

      it('keeps the most recent event ids up to the cap while the count goes on', async () => {
        const alerting = service(alertingConfig({ maxEventIds: 3 }));
        const ip = uniqueIp();
        const matches = Array.from({ length: 5 }, (_, i) => sshMatch(ip, iso(i * 1000)));
        const result = await alerting.handle(matches);
        const alert = await store.alerts.get(result.alerts[0]!.id);
        expect(alert?.count).toBe(5);
        expect(alert?.eventIds).toEqual(matches.slice(2).map((m) => m.eventIds[0]));
      });

      it('stores informational alerts without an incident or a trigger', async () => {
        const alerting = service();
        const result = await alerting.handle([sshMatch(uniqueIp(), iso(), { level: 'informational' })]);
        const alert = result.alerts[0]!;
        expect(alert).toMatchObject({ severity: 'informational', riskScore: 10 });
        expect(alert.incidentId).toBeUndefined();
        expect(alert.pendingTriggers).toBeUndefined();
        await expect(queue.get(triggerJobId('alert', alert.id))).resolves.toBeUndefined();
      });

      it('raises the risk score of a repeat offender seen in other recent alerts', async () => {
        const alerting = service();
        const ip = uniqueIp();
        const [first] = (await alerting.handle([sshMatch(ip, iso(), { ruleKey: 'rule-one' })])).alerts;
        const [second] = (await alerting.handle([sshMatch(ip, iso(MINUTE), { ruleKey: 'rule-two' })])).alerts;
        const [third] = (await alerting.handle([sshMatch(ip, iso(2 * MINUTE), { ruleKey: 'rule-three' })])).alerts;
        const [elsewhere] = (await alerting.handle([sshMatch(uniqueIp(), iso(2 * MINUTE), { ruleKey: 'rule-three', entities: { 'source.ip': uniqueIp() } })])).alerts;
        expect([first!.riskScore, second!.riskScore, third!.riskScore, elsewhere!.riskScore]).toEqual([75, 80, 85, 75]);
      });

      it('deduplicates a correlation on its group and keeps its detail in the explanation', async () => {
        const alerting = service();
        const ip = uniqueIp();
        const correlation = (at: string): RuleMatch => ({
          ...sshMatch(ip, at, { ruleKey: 'ssh-brute-force' }),
          kind: 'correlation',
          entities: { 'source.ip': ip, 'user.name': `user-${randomId()}` },
          correlation: { type: 'event_count', group: { 'source.ip': ip }, value: 25, windowStart: at, windowEnd: at, rules: ['a1b2c3d4-ssh-failed-login'] },
        });
        const result = await alerting.handle([correlation(iso()), correlation(iso(MINUTE))]);
        expect(result).toMatchObject({ created: 1, repeated: 1 });
        const alert = await store.alerts.get(result.alerts[0]!.id);
        expect(alert?.dedupKey).toBe(`ssh-brute-force|source.ip=${ip}`);
        expect(alert?.explanation.correlation).toMatchObject({ type: 'event_count', value: 25, group: { 'source.ip': ip } });
      });
    });

    describe('outbox', () => {
      it('hands each new alert and incident to the queue once, under deterministic ids', async () => {
        const alerting = service();
        const ip = uniqueIp();
        const result = await alerting.handle([sshMatch(ip, iso()), sshMatch(ip, iso(MINUTE))]);
        const alert = result.alerts[0]!;
        const job = await queue.get(triggerJobId('alert', alert.id));
        expect(job).toMatchObject({
          id: `alert-${alert.id}-created`,
          name: PLAYBOOK_TRIGGER_JOB,
          data: { trigger: 'alert.created', alertId: alert.id, ruleKey: 'a1b2c3d4-ssh-failed-login', severity: 'high', entities: { 'source.ip': ip }, incidentId: alert.incidentId },
        });
        const incidentJob = await queue.get(triggerJobId('incident', alert.incidentId!));
        expect(incidentJob).toMatchObject({ data: { trigger: 'incident.created', incidentId: alert.incidentId, severity: 'high', alertIds: [alert.id] } });
        // Adding again is a no-op: the id is the idempotency key.
        await expect(queue.add({ name: PLAYBOOK_TRIGGER_JOB, id: triggerJobId('alert', alert.id), data: {} })).resolves.toMatchObject({ added: false });
      });

      it('sweeps triggers a crash left pending, after the grace period', async () => {
        const alerting = service();
        const ip = uniqueIp();
        const id = randomId();
        const nowIso = iso();
        await store.alerts.create({
          id,
          dedupKey: `crashed|source.ip=${ip}`,
          ruleId: 'crashed',
          ruleTitle: 'Crashed before queuing',
          severity: 'low',
          riskScore: 25,
          status: 'new',
          count: 1,
          firstSeen: nowIso,
          lastSeen: nowIso,
          entities: { 'source.ip': ip },
          eventIds: [],
          explanation: { selections: [], matches: [] },
          tags: [],
          pendingTriggers: ['created'],
          createdAt: nowIso,
          updatedAt: nowIso,
        });
        await alerting.outbox.sweep();
        await expect(queue.get(triggerJobId('alert', id))).resolves.toBeUndefined();
        clock.advance(2 * MINUTE);
        expect(await alerting.outbox.sweep()).toBeGreaterThanOrEqual(1);
        await expect(queue.get(triggerJobId('alert', id))).resolves.toMatchObject({ data: { alertId: id, severity: 'low' } });
        expect((await store.alerts.get(id))?.pendingTriggers).toBeUndefined();
      });
    });

    describe('suppressions', () => {
      it('swallows and counts matching matches until the suppression expires', async () => {
        const alerting = service();
        const ip = uniqueIp();
        const suppression = await alerting.suppressions.create(
          { rule: 'a1b2c3d4-ssh-failed-login', fields: { 'source.ip': ip }, expiresAt: iso(HOUR), reason: 'authorised scan SEC-1042' },
          'alice',
        );
        const result = await alerting.handle([sshMatch(ip, iso()), sshMatch(ip, iso(1000)), sshMatch(ip, iso(2000), { ruleKey: 'other-rule' })]);
        expect(result).toMatchObject({ suppressed: 2, created: 1 });
        expect(result.alerts.map((a) => a.ruleId)).toEqual(['other-rule']);
        expect(await store.suppressions.get(suppression.id)).toMatchObject({ suppressedCount: 2, lastSuppressedAt: iso(), author: 'alice' });
        clock.advance(HOUR);
        const after = await alerting.handle([sshMatch(ip, iso())]);
        expect(after).toMatchObject({ suppressed: 0, created: 1 });
        expect((await store.suppressions.get(suppression.id))?.suppressedCount).toBe(2);
      });

      it('does not apply before it starts, and refuses a suppression without fields or with its expiry first', async () => {
        const alerting = service();
        const ip = uniqueIp();
        await alerting.suppressions.create({ fields: { 'source.ip': ip }, startsAt: iso(HOUR), expiresAt: iso(2 * HOUR), reason: 'maintenance window' }, 'bob');
        expect(await alerting.handle([sshMatch(ip, iso())])).toMatchObject({ suppressed: 0, created: 1 });
        clock.advance(HOUR);
        expect(await alerting.handle([sshMatch(ip, iso())])).toMatchObject({ suppressed: 1 });
        await expect(alerting.suppressions.create({ fields: {}, expiresAt: iso(HOUR), reason: 'x' }, 'bob')).rejects.toMatchObject({ code: 'WATCHPOST_ERR_CASE_INVALID' });
        await expect(alerting.suppressions.create({ fields: { 'source.ip': ip }, expiresAt: iso(-1), reason: 'x' }, 'bob')).rejects.toMatchObject({
          code: 'WATCHPOST_ERR_CASE_INVALID',
        });
      });
    });

    describe('incidents', () => {
      it('groups alerts of one entity within the window, by the first entity field present, severity the highest', async () => {
        const alerting = service(alertingConfig({ incidents: { windowMs: HOUR } }));
        const ip = uniqueIp();
        const low = (await alerting.handle([sshMatch(ip, iso(), { ruleKey: 'low-rule', level: 'low' })])).alerts[0]!;
        const critical = (await alerting.handle([sshMatch(ip, iso(), { ruleKey: 'critical-rule', level: 'critical' })])).alerts[0]!;
        expect(critical.incidentId).toBe(low.incidentId);
        const incident = await incidentOf(store, critical);
        expect(incident).toMatchObject({ severity: 'critical', alertIds: [low.id, critical.id] });
        // No source.ip: grouped by user.name.
        const user = `user-${randomId()}`;
        const byUser = (await alerting.handle([sshMatch(ip, iso(), { ruleKey: 'user-rule', entities: { 'user.name': user, 'host.name': 'h' } })])).alerts[0]!;
        expect((await incidentOf(store, byUser)).entity).toEqual({ field: 'user.name', value: user });
        // Past the window since the incident's last update: a new incident.
        clock.advance(HOUR + 1);
        const later = (await alerting.handle([sshMatch(ip, iso(), { ruleKey: 'later-rule' })])).alerts[0]!;
        expect(later.incidentId).not.toBe(low.incidentId);
      });

      it('opens a new incident when the entity’s incident is closed', async () => {
        const alerting = service();
        const ip = uniqueIp();
        const first = (await alerting.handle([sshMatch(ip, iso(), { ruleKey: 'r1' })])).alerts[0]!;
        await alerting.incidents.setStatus(first.incidentId!, 'closed', 'alice', { verdict: 'false_positive' });
        const second = (await alerting.handle([sshMatch(ip, iso(), { ruleKey: 'r2' })])).alerts[0]!;
        expect(second.incidentId).not.toBe(first.incidentId);
      });

      it('changes status with timeline entries; closing needs a verdict and closes the alerts', async () => {
        const alerting = service();
        const alert = (await alerting.handle([sshMatch(uniqueIp(), iso())])).alerts[0]!;
        const id = alert.incidentId!;
        clock.advance(5 * MINUTE);
        const acked = await alerting.incidents.setStatus(id, 'acknowledged', 'alice');
        expect(acked.incident).toMatchObject({ status: 'acknowledged', acknowledgedAt: iso() });
        expect(acked.timeline).toMatchObject([{ kind: 'status', actor: 'alice', data: { from: 'new', to: 'acknowledged' } }]);
        await expect(alerting.incidents.setStatus(id, 'closed', 'alice')).rejects.toMatchObject({ code: 'WATCHPOST_ERR_CASE_INVALID' });
        clock.advance(MINUTE);
        const closed = await alerting.incidents.setStatus(id, 'closed', 'bob', { verdict: 'true_positive' });
        expect(closed.incident).toMatchObject({ status: 'closed', verdict: 'true_positive', closedAt: iso(), resolvedAt: iso(), acknowledgedAt: iso(-MINUTE) });
        expect(await store.alerts.get(alert.id)).toMatchObject({ status: 'closed', verdict: 'true_positive' });
        const reopened = await alerting.incidents.setStatus(id, 'investigating', 'bob');
        expect(reopened.incident.verdict).toBeUndefined();
        expect(reopened.incident.resolvedAt).toBeUndefined();
        expect(reopened.incident.acknowledgedAt).toBe(iso(-MINUTE));
      });

      it('offers assignment, comments, tags, observables and tasks, each in the timeline with its actor', async () => {
        const alerting = service();
        const { incident } = await alerting.incidents.create({ title: 'Suspicious VPN logins', severity: 'medium', tags: ['vpn'] }, 'alice');
        const id = incident.id;
        await alerting.incidents.assign(id, 'bob', 'alice');
        await alerting.incidents.comment(id, 'Looks like **credential stuffing**.', 'bob');
        await alerting.incidents.tag(id, { add: ['stuffing', 'vpn'], remove: ['vpn'] }, 'bob');
        await alerting.incidents.addObservable(id, { type: 'ip', value: '198.51.100.9', note: 'VPN exit' }, 'bob');
        const withTask = await alerting.incidents.addTask(id, { title: 'Reset passwords' }, 'bob');
        const taskId = withTask.incident.tasks[0]!.id;
        const done = await alerting.incidents.updateTask(id, taskId, { done: true }, 'carol');
        expect(done.incident).toMatchObject({ assignee: 'bob', tags: ['stuffing'], observables: [{ type: 'ip', value: '198.51.100.9' }], tasks: [{ title: 'Reset passwords', done: true }] });
        await expect(alerting.incidents.updateTask(id, 'no-such-task', { done: true }, 'carol')).rejects.toMatchObject({ code: 'WATCHPOST_ERR_CASE_INVALID' });
        await expect(alerting.incidents.comment('no-such-incident', 'x', 'carol')).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_NOT_FOUND' });
        const timeline = await timelineOf(store, id);
        expect(timeline.map((e) => [e.kind, e.actor])).toEqual([
          ['created', 'alice'],
          ['assignment', 'alice'],
          ['comment', 'bob'],
          ['tag', 'bob'],
          ['observable', 'bob'],
          ['task', 'bob'],
          ['task', 'carol'],
        ]);
        expect(timeline[2]!.body).toBe('Looks like **credential stuffing**.');
      });

      it('links and unlinks alerts by hand, moving an alert out of its old incident', async () => {
        const alerting = service();
        const a = (await alerting.handle([sshMatch(uniqueIp(), iso(), { level: 'critical' })])).alerts[0]!;
        const b = (await alerting.handle([sshMatch(uniqueIp(), iso(), { level: 'low' })])).alerts[0]!;
        const linked = await alerting.incidents.linkAlerts(b.incidentId!, [a.id], 'alice');
        expect(linked.incident).toMatchObject({ alertIds: [b.id, a.id], severity: 'critical' });
        expect((await store.alerts.get(a.id))?.incidentId).toBe(b.incidentId);
        expect((await store.incidents.get(a.incidentId!))?.alertIds).toEqual([]);
        expect((await timelineOf(store, a.incidentId!)).map((e) => e.kind)).toContain('alert_unlinked');
        const unlinked = await alerting.incidents.unlinkAlerts(b.incidentId!, [a.id], 'alice');
        expect(unlinked.incident).toMatchObject({ alertIds: [b.id], severity: 'low' });
        expect((await store.alerts.get(a.id))?.incidentId).toBeUndefined();
        await expect(alerting.incidents.linkAlerts(b.incidentId!, ['no-such-alert'], 'alice')).rejects.toMatchObject({ code: 'WATCHPOST_ERR_CASE_INVALID' });
      });

      it('merges incidents into one and splits alerts off into a new one', async () => {
        const alerting = service();
        const a = (await alerting.handle([sshMatch(uniqueIp(), iso(), { level: 'medium' })])).alerts[0]!;
        const b = (await alerting.handle([sshMatch(uniqueIp(), iso(), { level: 'critical' })])).alerts[0]!;
        clock.advance(1000);
        await alerting.incidents.tag(b.incidentId!, { add: ['from-b'] }, 'alice');
        clock.advance(1000);
        const merged = await alerting.incidents.merge(a.incidentId!, [b.incidentId!], 'alice');
        expect(merged.incident).toMatchObject({ alertIds: [a.id, b.id], severity: 'critical', tags: ['from-b'] });
        expect(await store.incidents.get(b.incidentId!)).toMatchObject({ status: 'closed', mergedInto: a.incidentId, alertIds: [] });
        expect((await store.alerts.get(b.id))?.incidentId).toBe(a.incidentId);
        await expect(alerting.incidents.merge(a.incidentId!, [b.incidentId!], 'alice')).rejects.toMatchObject({ code: 'WATCHPOST_ERR_CASE_INVALID' });

        clock.advance(1000);
        const split = await alerting.incidents.split(a.incidentId!, [b.id], { title: 'The critical one' }, 'bob');
        expect(split.created.incident).toMatchObject({ title: 'The critical one', alertIds: [b.id], severity: 'critical' });
        expect(split.original.incident).toMatchObject({ alertIds: [a.id], severity: 'medium' });
        expect((await store.alerts.get(b.id))?.incidentId).toBe(split.created.incident.id);
        expect((await timelineOf(store, a.incidentId!)).map((e) => e.kind)).toEqual(['created', 'alert_linked', 'merge', 'split']);
        expect((await timelineOf(store, split.created.incident.id)).map((e) => [e.kind, e.actor])).toEqual([
          ['created', 'bob'],
          ['split', 'bob'],
        ]);
        await expect(queue.get(triggerJobId('incident', split.created.incident.id))).resolves.toMatchObject({ data: { trigger: 'incident.created' } });
      });
    });

    describe('SLA', () => {
      it('warns at the configured fraction and breaches past the target, each written to the timeline once', async () => {
        const alerting = service(alertingConfig({ sla: { warnFraction: 0.8, high: { acknowledgeMs: 10 * MINUTE, resolveMs: HOUR } } }));
        const alert = (await alerting.handle([sshMatch(uniqueIp(), iso())])).alerts[0]!;
        const id = alert.incidentId!;
        const slaEntries = async () => (await timelineOf(store, id)).filter((e) => e.kind === 'sla').map((e) => e.data);
        clock.advance(7 * MINUTE);
        await alerting.checkSla();
        expect(await slaEntries()).toEqual([]);
        expect(alerting.slaOf((await store.incidents.get(id))!)).toMatchObject({ warning: false, breached: false, acknowledge: { state: 'ok' } });
        clock.advance(MINUTE);
        await alerting.checkSla();
        await alerting.checkSla();
        expect(await slaEntries()).toEqual([expect.objectContaining({ clock: 'acknowledge', state: 'warning' })]);
        clock.advance(3 * MINUTE);
        await alerting.checkSla();
        await service().checkSla();
        expect(await slaEntries()).toEqual([expect.objectContaining({ clock: 'acknowledge', state: 'warning' }), expect.objectContaining({ clock: 'acknowledge', state: 'breached' })]);
        const incident = (await alerting.incidents.setStatus(id, 'acknowledged', 'alice')).incident;
        expect(alerting.slaOf(incident)).toMatchObject({ breached: true, acknowledge: { state: 'missed', elapsedMs: 11 * MINUTE }, resolve: { state: 'ok' } });
        clock.advance(45 * MINUTE);
        expect(alerting.slaOf(incident)).toMatchObject({ warning: true, resolve: { state: 'warning' } });
      });

      it('computes MTTA and MTTR over incidents created in a time range', async () => {
        const alerting = service();
        const from = new Date(clock.now());
        const made: string[] = [];
        for (const [ackAfter, resolveAfter] of [
          [10, 60],
          [30, 120],
          [undefined, undefined],
        ] as const) {
          const { incident } = await alerting.incidents.create({ title: `MTTA case ${made.length}`, severity: 'high' }, 'alice');
          made.push(incident.id);
          const t0 = clock.now();
          if (ackAfter !== undefined) {
            clock.set(t0 + ackAfter * MINUTE);
            await alerting.incidents.setStatus(incident.id, 'investigating', 'alice');
            clock.set(t0 + resolveAfter * MINUTE);
            await alerting.incidents.setStatus(incident.id, 'resolved', 'alice');
          }
          clock.set(t0 + 1000);
        }
        clock.advance(2 * HOUR);
        const figures = await alerting.responseFigures({ from, to: new Date(clock.now()) });
        expect(figures).toMatchObject({ incidents: 3, acknowledged: 2, resolved: 2, mttaMs: 20 * MINUTE, mttrMs: 90 * MINUTE });
        expect(figures.bySeverity.high).toMatchObject({ incidents: 3, mttaMs: 20 * MINUTE });
        expect(figures.bySeverity.low).toMatchObject({ incidents: 0 });
        expect(figures.bySeverity.low.mttaMs).toBeUndefined();
        // The unacknowledged one has breached both clocks by now (high: 1 h to acknowledge... 24 h to resolve).
        expect(figures.acknowledgeBreaches).toBe(1);
      });
    });

    describe('availability', () => {
      const event = (fields: { dataset?: string; input?: string }): EcsEvent => ({
        '@timestamp': new Date(clock.now()).toISOString(),
        event: { ...(fields.dataset ? { dataset: fields.dataset } : {}) },
        ...(fields.input ? { watchpost: { input: { id: fields.input } } } : {}),
      });

      it('raises one alert for a configured source silent past its limit, and clears it when the source comes back', async () => {
        const source = `fw-${randomId().slice(0, 8)}`;
        const alerting = service(alertingConfig({ availability: { learn: false, sources: [{ id: source, maxSilenceMs: 20 * MINUTE }] } }));
        alerting.observe([event({ input: source, dataset: 'cisco.asa' })]);
        clock.advance(20 * MINUTE);
        expect(await alerting.checkAvailability()).toEqual({ raised: [], cleared: [] });
        clock.advance(1);
        expect((await alerting.checkAvailability()).raised).toEqual([`watchpost.input.id=${source}`]);
        clock.advance(10 * MINUTE);
        expect((await alerting.checkAvailability()).raised).toEqual([]);
        const open = await store.alerts.list({ filter: { op: 'and', children: [{ op: 'eq', field: 'ruleId', value: SOURCE_SILENT_RULE }, { op: 'eq', field: 'entities.watchpost.input.id', value: source }] } });
        expect(open.items).toHaveLength(1);
        expect(open.items[0]).toMatchObject({ severity: 'medium', status: 'new', count: 1, ruleAuthor: 'Watchpost' });
        alerting.observe([event({ input: source })]);
        expect((await alerting.checkAvailability()).cleared).toEqual([`watchpost.input.id=${source}`]);
        expect(await store.alerts.get(open.items[0]!.id)).toMatchObject({ status: 'closed', clearedAt: iso() });
      });

      it('learns a dataset’s limit: ten times its median gap, at least the minimum', async () => {
        const dataset = `ds-${randomId().slice(0, 8)}`;
        const alerting = service(alertingConfig({ availability: { learn: true, minSamples: 5, learnFactor: 10, minSilenceMs: 15 * MINUTE } }));
        for (let i = 0; i < 5; i++) {
          alerting.observe([event({ dataset })]);
          clock.advance(3 * MINUTE);
        }
        // Median gap 3 min: silent after 30 min (the last arrival was 3 min ago).
        clock.advance(26 * MINUTE);
        expect((await alerting.checkAvailability()).raised).toEqual([]);
        clock.advance(2 * MINUTE);
        expect((await alerting.checkAvailability()).raised).toEqual([`event.dataset=${dataset}`]);
      });
    });
  });
}
