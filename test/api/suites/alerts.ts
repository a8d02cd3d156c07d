import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../../core/cases/types.js';
import { alertingApiHarness, type AlertingApiHarness } from '../alerting-harness.js';
import { ev } from '../../contracts/event-store-fixtures.js';
import { sshMatch } from '../../integration/alerting-behaviour.js';
import type { AlertView, BulkResponse } from '../../../api/routes/alerts/schemas.js';
import type { StoreBackend } from '../backends.js';

interface Page {
  items: AlertView[];
  total: number;
  nextCursor?: string;
}

const HOUR = 3_600_000;

/** The /api/v1/alerts API behaviours, on the case store of `backend` (see test/api/backends.ts). */
export function describeAlertsApi(backend: StoreBackend): void {
  describe(`/api/v1/alerts (${backend})`, () => {
    let h: AlertingApiHarness;
    let viewer: string;
    let analyst: string;
    let high: Alert;
    let low: Alert;
    let other: Alert;
    let t0: number;
    const at = (offsetMs: number) => new Date(t0 + offsetMs).toISOString();

    beforeEach(async () => {
      h = await alertingApiHarness({}, backend);
      t0 = h.clock.now();
      viewer = await h.bearer('vera', ['viewer']);
      analyst = await h.bearer('ana', ['analyst']);
      await h.bearer('bob', ['analyst']);
      // Three alerts: two rules, three addresses, lastSeen two hours apart; the first has stored events.
      await h.events.append([ev('e-1', h.clock.now() - 2 * HOUR, { message: 'Failed password for root' }), ev('e-2', h.clock.now() - 2 * HOUR + 1)]);
      const result = await h.alerting.handle([
        sshMatch('192.0.2.1', at(-2 * HOUR), { eventIds: ['e-1', 'e-2', 'e-gone'] }),
        sshMatch('192.0.2.2', at(-HOUR), { level: 'low', ruleKey: 'port-scan' }),
        sshMatch('192.0.2.3', at(0), { level: 'medium', ruleKey: 'port-scan' }),
      ]);
      [high, low, other] = result.newAlerts as unknown as [Alert, Alert, Alert];
      // Hand entries then follow the system's entries of the grouping on the timelines.
      h.clock.advance(1000);
    });
    afterEach(async () => {
      await h.close();
    });

    const list = async (query: string, authorization = viewer): Promise<Page> => {
      const response = await h.call(authorization, { method: 'GET', url: `/api/v1/alerts${query}` });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<Page>();
    };
    const bulk = (action: string, payload: Record<string, unknown>, authorization = analyst) =>
      h.call(authorization, { method: 'POST', url: `/api/v1/alerts/bulk/${action}`, payload });

    it('lists newest lastSeen first and pages by cursor without skipping or repeating', async () => {
      const all = await list('');
      expect(all.items.map((a) => a.id)).toEqual([other.id, low.id, high.id]);
      expect(all.total).toBe(3);
      expect(JSON.stringify(all)).not.toContain('pendingTriggers');
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await list(`?limit=1&sort=lastSeen&order=asc${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        seen.push(...page.items.map((a) => a.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual([high.id, low.id, other.id]);
    });

    it('filters by severity, rule, entity, time range, assignment, status and KQL over alert fields', async () => {
      const ids = async (query: string) => (await list(query)).items.map((a) => a.id).sort();
      expect(await ids('?severity=low&severity=medium')).toEqual([low.id, other.id].sort());
      expect(await ids('?rule=port-scan')).toEqual([low.id, other.id].sort());
      expect(await ids('?entity=source.ip=192.0.2.2')).toEqual([low.id]);
      expect(await ids('?entity=source.ip=192.0.2.2&entity=user.name=nobody')).toEqual([]);
      expect(await ids(`?from=${encodeURIComponent(at(-HOUR - 1))}&to=${encodeURIComponent(at(-1))}`)).toEqual([low.id]);
      expect(await ids('?assigned=false')).toHaveLength(3);
      expect(await ids('?status=closed')).toEqual([]);
      expect(await ids(`?q=${encodeURIComponent('ruleId:port-scan and not severity:low')}`)).toEqual([other.id]);
      expect(await ids(`?q=${encodeURIComponent('entities.source.ip:192.0.2.1')}`)).toEqual([high.id]);
      expect(await ids(`?incident=${high.incidentId}`)).toEqual([high.id]);
    });

    it('refuses KQL with bare words or fields alerts do not have, and a reversed range', async () => {
      for (const q of ['root', 'source.ip:192.0.2.1']) {
        const response = await h.call(viewer, { method: 'GET', url: `/api/v1/alerts?q=${encodeURIComponent(q)}` });
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({ code: 'WATCHPOST_ERR_QUERY_SYNTAX' });
      }
      const reversed = await h.call(viewer, { method: 'GET', url: `/api/v1/alerts?from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(-HOUR))}` });
      expect(reversed.statusCode).toBe(400);
      const tooMany = await h.call(viewer, { method: 'GET', url: `/api/v1/alerts?limit=1000` });
      expect(tooMany.statusCode).toBe(400);
    });

    it('explains an alert: the rule and its author, selections, matched values, event ids and the incident', async () => {
      const response = await h.call(viewer, { method: 'GET', url: `/api/v1/alerts/${high.id}` });
      expect(response.statusCode).toBe(200);
      const detail = response.json();
      expect(detail.explanation).toMatchObject({
        rule: { id: 'a1b2c3d4-ssh-failed-login', title: 'SSH failed login', author: 'Jane Analyst (DRL 1.1)' },
        selections: ['selection'],
        matches: expect.arrayContaining([{ field: 'process.name', value: 'sshd' }]),
        eventIds: ['e-1', 'e-2', 'e-gone'],
        eventIdsTruncated: false,
      });
      expect(detail.incident).toMatchObject({ id: high.incidentId, status: 'new' });
      expect((await h.call(viewer, { method: 'GET', url: '/api/v1/alerts/nope' })).statusCode).toBe(404);
    });

    it('returns the triggering events from the event store and names those gone', async () => {
      const response = await h.call(viewer, { method: 'GET', url: `/api/v1/alerts/${high.id}/events` });
      expect(response.statusCode).toBe(200);
      const body = response.json<{ events: { event: { id: string }; message?: string }[]; missing: string[] }>();
      expect(body.events.map((e) => e.event.id)).toEqual(['e-2', 'e-1']);
      expect(body.events[1]?.message).toBe('Failed password for root');
      expect(body.missing).toEqual(['e-gone']);
    });

    it('closes alerts with a verdict, per item, audited and written on the incident timeline', async () => {
      const noVerdict = await bulk('status', { ids: [high.id], status: 'closed' });
      expect(noVerdict.statusCode).toBe(200);
      expect(noVerdict.json<BulkResponse>().results[0]).toMatchObject({ outcome: 'failed', code: 'WATCHPOST_ERR_CASE_INVALID' });
      expect((await bulk('status', { ids: [high.id], status: 'acknowledged', verdict: 'benign' })).statusCode).toBe(400);

      const response = await bulk('status', { ids: [high.id, 'missing', low.id], status: 'closed', verdict: 'false_positive' });
      expect(response.statusCode).toBe(200);
      const body = response.json<BulkResponse>();
      expect(body.results.map((r) => [r.id, r.outcome])).toEqual([
        [high.id, 'changed'],
        ['missing', 'not_found'],
        [low.id, 'changed'],
      ]);
      expect(body).toMatchObject({ changed: 2, failed: 1 });
      expect(await h.cases.alerts.get(high.id)).toMatchObject({ status: 'closed', verdict: 'false_positive' });

      const again = await bulk('status', { ids: [high.id], status: 'closed', verdict: 'false_positive' });
      expect(again.json<BulkResponse>().results[0]?.outcome).toBe('unchanged');

      const audit = (await h.cases.audit.list()).items.filter((entry) => entry.action === 'alert.status');
      expect(audit.map((entry) => entry.target?.id)).toEqual([high.id, low.id]);
      expect(audit[0]).toMatchObject({ actor: expect.stringMatching(/^token:/), details: { before: { status: 'new' }, after: { status: 'closed', verdict: 'false_positive' } } });

      const timeline = (await h.cases.timeline.list({ filter: { op: 'eq', field: 'incidentId', value: high.incidentId as string } })).items;
      expect(timeline.at(-1)).toMatchObject({ kind: 'status', actor: 'ana', data: { alertId: high.id, from: 'new', to: 'closed', verdict: 'false_positive' } });

      // Reopening clears the verdict.
      await bulk('status', { ids: [high.id], status: 'in_progress' });
      const reopened = await h.cases.alerts.get(high.id);
      expect(reopened?.status).toBe('in_progress');
      expect(reopened?.verdict).toBeUndefined();
    });

    it('assigns to enabled users only, unassigns, and keeps viewers out', async () => {
      expect((await bulk('assign', { ids: [high.id], assignee: 'nobody' })).statusCode).toBe(400);
      const assigned = await bulk('assign', { ids: [high.id, other.id], assignee: 'Bob' });
      expect(assigned.json<BulkResponse>().changed).toBe(2);
      expect((await list('?assignee=bob')).items.map((a) => a.id).sort()).toEqual([high.id, other.id].sort());
      const timeline = (await h.cases.timeline.list({ filter: { op: 'eq', field: 'incidentId', value: high.incidentId as string } })).items;
      expect(timeline.at(-1)).toMatchObject({ kind: 'assignment', data: { alertId: high.id, from: null, to: 'bob' } });
      await bulk('assign', { ids: [high.id], assignee: null });
      expect((await h.cases.alerts.get(high.id))?.assignee).toBeUndefined();
      expect((await bulk('assign', { ids: [high.id], assignee: 'bob' }, viewer)).statusCode).toBe(403);
      expect((await bulk('assign', { ids: [], assignee: 'bob' })).statusCode).toBe(400);
    });

    it('links alerts to an incident, moving them from theirs, with both timelines and the audit log', async () => {
      const { incident } = await h.alerting.incidents.create({ title: 'Campaign' }, 'ana');
      const previous = high.incidentId as string;
      const response = await bulk('link', { ids: [high.id, 'missing'], incidentId: incident.id });
      expect(response.statusCode).toBe(200);
      expect(response.json<BulkResponse>().results.map((r) => r.outcome)).toEqual(['changed', 'not_found']);
      expect((await h.cases.alerts.get(high.id))?.incidentId).toBe(incident.id);
      expect((await h.cases.incidents.get(incident.id))?.alertIds).toEqual([high.id]);
      const kinds = async (id: string) => (await h.cases.timeline.list({ filter: { op: 'eq', field: 'incidentId', value: id } })).items.map((e) => e.kind);
      expect(await kinds(incident.id)).toContain('alert_linked');
      expect(await kinds(previous)).toContain('alert_unlinked');
      expect((await h.cases.audit.list()).items.filter((e) => e.action === 'alert.link')).toMatchObject([
        { target: { id: high.id }, details: { before: { incidentId: previous }, after: { incidentId: incident.id } } },
      ]);
      expect((await bulk('link', { ids: [high.id], incidentId: incident.id })).json<BulkResponse>().results[0]?.outcome).toBe('unchanged');
      expect((await bulk('link', { ids: [high.id], incidentId: 'no-such-incident' })).statusCode).toBe(404);
    });
  });
}
