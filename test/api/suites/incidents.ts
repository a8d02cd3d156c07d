import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/app.js';
import { formatToken } from '../../../api/plugins/token-auth.js';
import type { Alert, AuditEntry, Incident, Role, TimelineEntry } from '../../../core/cases/types.js';
import { ManualClock } from '../../../core/clock.js';
import { loadConfig } from '../../../core/config/load.js';
import { hashSecret, randomId, randomSecret } from '../../../core/ids.js';
import { silentLogger } from '../../../core/log.js';
import { createMetricsRegistry } from '../../../core/metrics.js';
import type { CaseStore, Stored } from '../../../core/stores/case-store.js';
import type { SqliteDatabase } from '../../../backends/sqlite/database.js';
import { SqliteJobQueue } from '../../../backends/sqlite/job-queue.js';
import { createAlertingService, MAX_COMMENT_LENGTH, type AlertingService } from '../../../engine/alerting/index.js';
import { alertingConfig, sshMatch } from '../../integration/alerting-behaviour.js';
import { openTestStores, type StoreBackend } from '../backends.js';

const MINUTE = 60_000;
const START = Date.parse('2024-05-01T08:00:00.000Z');

interface Fixture {
  readonly db: SqliteDatabase;
  readonly cases: CaseStore;
  readonly queue: SqliteJobQueue;
  readonly clock: ManualClock;
  readonly alerting: AlertingService;
  readonly call: (authorization: string, options: InjectOptions) => Promise<LightMyRequestResponse>;
  readonly close: () => Promise<void>;
  viewer: string;
  analyst: string;
}

/** The real app over the case store of `backend`, with the alerting engine on the same store and a manual clock. */
async function fixture(backend: StoreBackend): Promise<Fixture> {
  const stores = await openTestStores(backend);
  const { db, cases } = stores;
  const queue = new SqliteJobQueue(db, { pollIntervalMs: 50 });
  const clock = new ManualClock(START);
  const alerting = createAlertingService({ store: cases, queue, clock, config: alertingConfig() });
  const app = await buildApi({
    config: loadConfig({ env: {} }).api,
    logger: silentLogger(),
    version: '0.0.0-test',
    metrics: createMetricsRegistry({ role: 'api' }),
    health: { cases },
    cases,
    clock,
    alerting,
  });
  const bearer = async (userId: string, roles: Role[], tokenRoles: Role[] = roles): Promise<string> => {
    const at = new Date(clock.now()).toISOString();
    if (!(await cases.users.get(userId))) await cases.users.create({ id: userId, username: userId, roles, disabled: false, createdAt: at, updatedAt: at });
    const id = randomId();
    const secret = randomSecret();
    await cases.tokens.create({ id, name: `test ${userId}`, userId, secretHash: hashSecret(secret), roles: tokenRoles, revoked: false, createdAt: at });
    return `Bearer ${formatToken(id, secret)}`;
  };
  return {
    db,
    cases,
    queue,
    clock,
    alerting,
    call: (authorization, options) => app.inject({ ...options, headers: { ...(options.headers ?? {}), authorization } }),
    close: async () => {
      await app.close();
      await queue.close();
      await stores.close();
    },
    viewer: await bearer('vera', ['viewer']),
    analyst: await bearer('ana', ['analyst']),
  };
}

/** The incidents API behaviours, on the case store of `backend` (see test/api/backends.ts). */
export function describeIncidentsApi(backend: StoreBackend): void {
  let f: Fixture;
  beforeEach(async () => {
    f = await fixture(backend);
  });
  afterEach(async () => {
    await f.close();
  });

  /** An alert from `ip` (grouped by the engine into an incident of that address); returns it as stored. */
  async function alertFrom(ip: string, level: 'low' | 'medium' | 'high' | 'critical' = 'high', ruleKey?: string): Promise<Stored<Alert>> {
    const result = await f.alerting.handle([sshMatch(ip, new Date(f.clock.now()).toISOString(), { level, ...(ruleKey ? { ruleKey } : {}) })]);
    const created = result.alerts[0];
    expect(created).toBeDefined();
    return (await f.cases.alerts.get((created as Alert).id)) as Stored<Alert>;
  }

  async function createIncident(body: Record<string, unknown> = { title: 'Brute force on web-01' }): Promise<Incident & { rev: string }> {
    const response = await f.call(f.analyst, { method: 'POST', url: '/api/v1/incidents', payload: body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ incident: Incident & { rev: string } }>().incident;
  }

  async function auditOf(action: string): Promise<AuditEntry[]> {
    return (await f.cases.audit.list({ filter: { op: 'eq', field: 'action', value: action, caseSensitive: true }, limit: 100 })).items;
  }

  async function timelineOf(incidentId: string): Promise<TimelineEntry[]> {
    return (await f.cases.timeline.list({ filter: { op: 'eq', field: 'incidentId', value: incidentId, caseSensitive: true }, limit: 1000 })).items;
  }

  function post(url: string, payload: unknown, headers: Record<string, string> = {}): InjectOptions {
    return { method: 'POST', url, payload: payload as InjectOptions['payload'], headers };
  }

  describe(`creating and reading incidents (${backend})`, () => {
    it('opens an incident by hand with alerts moved into it, audited with the user as actor', async () => {
      const alert = await alertFrom('198.51.100.7', 'critical');
      const grouped = alert.incidentId as string;
      const response = await f.call(f.analyst, post('/api/v1/incidents', { title: 'Hand-made', tags: ['ssh'], assignee: 'Vera', alertIds: [alert.id] }));
      expect(response.statusCode, response.body).toBe(201);
      const { incident, timeline } = response.json();
      expect(incident).toMatchObject({ title: 'Hand-made', status: 'new', severity: 'critical', tags: ['ssh'], assignee: 'vera', alertIds: [alert.id] });
      expect(response.headers.location).toBe(`/api/v1/incidents/${incident.id}`);
      expect(response.headers.etag).toBe(`"${incident.rev}"`);
      expect(timeline.map((entry: TimelineEntry) => entry.kind)).toEqual(['created', 'alert_linked']);
      expect(timeline.every((entry: TimelineEntry) => entry.actor === 'ana')).toBe(true);
      expect((await f.cases.alerts.get(alert.id))?.incidentId).toBe(incident.id);
      expect((await f.cases.incidents.get(grouped))?.alertIds).toEqual([]);
      const [audit] = await auditOf('incident.create');
      expect(audit).toMatchObject({ target: { type: 'incident', id: incident.id }, outcome: 'success' });
      expect(audit?.actor).toMatch(/^token:/);
      expect(audit?.details?.before).toBeUndefined();
      expect(audit?.details?.after).toMatchObject({ title: 'Hand-made', alertIds: [alert.id] });
      expect(audit?.details?.after).not.toHaveProperty('rev');
    });

    it('refuses bodies that break the schema or name unknown alerts and users, and writes nothing', async () => {
      for (const payload of [{}, { title: '' }, { title: 'x'.repeat(513) }, { title: 'a', severity: 'urgent' }, { title: 'a', extra: 1, tags: ['x'.repeat(65)] }]) {
        const response = await f.call(f.analyst, post('/api/v1/incidents', payload));
        expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      }
      const unknownAlert = await f.call(f.analyst, post('/api/v1/incidents', { title: 'a', alertIds: ['nope'] }));
      expect(unknownAlert.statusCode).toBe(400);
      expect(unknownAlert.json().code).toBe('WATCHPOST_ERR_CASE_INVALID');
      const unknownUser = await f.call(f.analyst, post('/api/v1/incidents', { title: 'a', assignee: 'nobody' }));
      expect(unknownUser.statusCode).toBe(400);
      expect(unknownUser.json().code).toBe('WATCHPOST_ERR_CASE_INVALID');
      expect((await f.cases.incidents.list()).total).toBe(0);
      expect(await auditOf('incident.create')).toEqual([]);
    });

    it('gets an incident with its SLA clocks, linked alerts and ETag; 404 for an unknown id', async () => {
      const alert = await alertFrom('198.51.100.8', 'high');
      f.clock.advance(50 * MINUTE);
      const response = await f.call(f.viewer, { method: 'GET', url: `/api/v1/incidents/${alert.incidentId}` });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json();
      expect(response.headers.etag).toBe(`"${body.rev}"`);
      expect(body.alerts).toEqual([expect.objectContaining({ id: alert.id, ruleTitle: 'SSH failed login', ruleAuthor: 'Jane Analyst (DRL 1.1)', severity: 'high' })]);
      expect(body.alertsTotal).toBe(1);
      // High: 1 h to acknowledge, warned at 80 %.
      expect(body.sla.acknowledge).toMatchObject({ state: 'warning', elapsedMs: 50 * MINUTE, targetMs: 60 * MINUTE });
      expect(body.sla).toMatchObject({ warning: true, breached: false });
      expect(body).not.toHaveProperty('pendingTriggers');
      const missing = await f.call(f.viewer, { method: 'GET', url: '/api/v1/incidents/does-not-exist' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ code: 'WATCHPOST_ERR_STORE_NOT_FOUND' });
    });

    it('lets viewers read and not write', async () => {
      const incident = await createIncident();
      expect((await f.call(f.viewer, { method: 'GET', url: `/api/v1/incidents/${incident.id}/timeline` })).statusCode).toBe(200);
      expect((await f.call(f.viewer, post('/api/v1/incidents', { title: 'no' }))).statusCode).toBe(403);
      expect((await f.call(f.viewer, post(`/api/v1/incidents/${incident.id}/comments`, { body: 'no' }))).statusCode).toBe(403);
      expect((await timelineOf(incident.id)).map((entry) => entry.kind)).toEqual(['created']);
    });
  });

  describe(`listing incidents (${backend})`, () => {
    it('filters by status, severity, assignee, tag, entity and creation time, and pages by cursor', async () => {
      const a = await alertFrom('203.0.113.1', 'high');
      f.clock.advance(MINUTE);
      const b = await alertFrom('203.0.113.2', 'low');
      f.clock.advance(MINUTE);
      const c = await createIncident({ title: 'third', severity: 'critical', assignee: 'ana', tags: ['vip'] });
      await f.call(f.analyst, post(`/api/v1/incidents/${a.incidentId}/status`, { status: 'investigating' }));
      const ids = async (query: string): Promise<string[]> => {
        const response = await f.call(f.viewer, { method: 'GET', url: `/api/v1/incidents?${query}` });
        expect(response.statusCode, response.body).toBe(200);
        return response.json<{ items: Incident[] }>().items.map((item) => item.id);
      };
      expect(await ids('')).toEqual([c.id, b.incidentId, a.incidentId]);
      expect(await ids('order=asc')).toEqual([a.incidentId, b.incidentId, c.id]);
      expect(await ids('status=investigating')).toEqual([a.incidentId]);
      expect(await ids('status=new&status=investigating&order=asc')).toEqual([a.incidentId, b.incidentId, c.id]);
      expect(await ids('severity=low&severity=critical')).toEqual([c.id, b.incidentId]);
      expect(await ids('assignee=ANA')).toEqual([c.id]);
      expect(await ids('unassigned=true')).toEqual([b.incidentId, a.incidentId]);
      expect(await ids('tag=vip')).toEqual([c.id]);
      expect(await ids('entity=203.0.113.2')).toEqual([b.incidentId]);
      expect(await ids(`from=${new Date(START + MINUTE).toISOString()}&to=${new Date(START + 2 * MINUTE).toISOString()}`)).toEqual([b.incidentId]);
      expect((await f.call(f.viewer, { method: 'GET', url: '/api/v1/incidents?from=2024-05-02&to=2024-05-01' })).statusCode).toBe(400);
      expect((await f.call(f.viewer, { method: 'GET', url: '/api/v1/incidents?status=nope' })).statusCode).toBe(400);
      expect((await f.call(f.viewer, { method: 'GET', url: '/api/v1/incidents?limit=1000' })).statusCode).toBe(400);

      const first = (await f.call(f.viewer, { method: 'GET', url: '/api/v1/incidents?limit=2' })).json();
      expect(first.total).toBe(3);
      expect(first.items).toHaveLength(2);
      expect(first.items[0].sla.acknowledge.state).toEqual(expect.any(String));
      const second = (await f.call(f.viewer, { method: 'GET', url: `/api/v1/incidents?limit=2&cursor=${encodeURIComponent(first.nextCursor)}` })).json();
      expect(second.items.map((item: Incident) => item.id)).toEqual([a.incidentId]);
      expect(second.nextCursor).toBeUndefined();
    });

    it('filters by SLA state as of now: warning, then breached; acknowledged incidents drop out', async () => {
      const late = await alertFrom('192.0.2.10', 'high');
      const handled = await alertFrom('192.0.2.11', 'high');
      await f.call(f.analyst, post(`/api/v1/incidents/${handled.incidentId}/status`, { status: 'acknowledged' }));
      const ids = async (sla: string): Promise<{ ids: string[]; total: unknown }> => {
        const body = (await f.call(f.viewer, { method: 'GET', url: `/api/v1/incidents?sla=${sla}` })).json();
        return { ids: body.items.map((item: Incident) => item.id), total: body.total };
      };
      expect((await ids('warning')).ids).toEqual([]);
      f.clock.advance(50 * MINUTE);
      expect((await ids('warning')).ids).toEqual([late.incidentId]);
      expect((await ids('breached')).ids).toEqual([]);
      f.clock.advance(11 * MINUTE);
      expect((await ids('warning')).ids).toEqual([]);
      const breached = await ids('breached');
      expect(breached.ids).toEqual([late.incidentId]);
      expect(breached.total).toBeUndefined();
    });

    it('pages an SLA filter with a cursor that does not skip or repeat', async () => {
      // Ten critical incidents a second apart; every other one acknowledged at once (no breach).
      const made: string[] = [];
      for (let i = 0; i < 10; i++) {
        const incidentId = (await alertFrom(`192.0.2.${20 + i}`, 'critical')).incidentId as string;
        if (i % 2 === 0) made.push(incidentId);
        else await f.call(f.analyst, post(`/api/v1/incidents/${incidentId}/status`, { status: 'acknowledged' }));
        f.clock.advance(1000);
      }
      f.clock.advance(20 * MINUTE);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const body = (await f.call(f.viewer, { method: 'GET', url: `/api/v1/incidents?sla=breached&limit=2&order=asc${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}` })).json();
        expect(body.items.length).toBeLessThanOrEqual(2);
        seen.push(...body.items.map((item: Incident) => item.id));
        cursor = body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(made);
    });
  });

  describe(`changing incidents (${backend})`, () => {
    it('PATCHes title, severity, assignee and tags with timeline entries and one audit entry', async () => {
      const incident = await createIncident({ title: 'before', tags: ['a', 'b'] });
      const response = await f.call(f.analyst, { method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, payload: { title: 'after', severity: 'high', assignee: 'vera', tags: ['b', 'c'] } });
      expect(response.statusCode, response.body).toBe(200);
      const { incident: after, timeline } = response.json();
      expect(after).toMatchObject({ title: 'after', severity: 'high', assignee: 'vera', tags: ['b', 'c'] });
      expect(timeline.map((entry: TimelineEntry) => entry.kind)).toEqual(['action', 'action', 'assignment', 'tag']);
      expect(timeline[1]).toMatchObject({ actor: 'ana', data: { field: 'severity', from: 'medium', to: 'high' } });
      const audits = await auditOf('incident.update');
      expect(audits).toHaveLength(1);
      expect(audits[0]?.details).toMatchObject({ before: { title: 'before', tags: ['a', 'b'] }, after: { title: 'after', severity: 'high', assignee: 'vera', tags: ['b', 'c'] } });

      const unassign = await f.call(f.analyst, { method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, payload: { assignee: null } });
      expect(unassign.json().incident.assignee).toBeUndefined();
      const same = await f.call(f.analyst, { method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, payload: { title: 'after' } });
      expect(same.json().timeline).toEqual([]);
      expect(await auditOf('incident.update')).toHaveLength(2);
      expect((await f.call(f.analyst, { method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, payload: {} })).statusCode).toBe(400);
      expect((await f.call(f.analyst, { method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, payload: { assignee: 'ghost' } })).statusCode).toBe(400);
      expect((await f.call(f.analyst, { method: 'PATCH', url: '/api/v1/incidents/nope', payload: { title: 'x' } })).statusCode).toBe(404);
    });

    it('refuses a write with a stale If-Match with 412 and changes nothing; the current revision passes', async () => {
      const incident = await createIncident();
      const first = await f.call(f.analyst, { method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, payload: { title: 'one' }, headers: { 'if-match': `"${incident.rev}"` } });
      expect(first.statusCode, first.body).toBe(200);
      const staleRequests: InjectOptions[] = [
        { method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, payload: { title: 'two' } },
        post(`/api/v1/incidents/${incident.id}/status`, { status: 'acknowledged' }),
        post(`/api/v1/incidents/${incident.id}/comments`, { body: 'late' }),
        post(`/api/v1/incidents/${incident.id}/tasks`, { title: 'late' }),
        post(`/api/v1/incidents/${incident.id}/observables`, { type: 'ip', value: '192.0.2.1' }),
      ];
      for (const request of staleRequests) {
        const stale = await f.call(f.analyst, { ...request, headers: { ...(request.headers as Record<string, string>), 'if-match': `"${incident.rev}"` } });
        expect(stale.statusCode, JSON.stringify([request.method, request.url])).toBe(412);
        expect(stale.json()).toMatchObject({ error: 'precondition_failed', code: 'WATCHPOST_ERR_STORE_CONFLICT' });
      }
      const stored = await f.cases.incidents.get(incident.id);
      expect(stored).toMatchObject({ title: 'one', status: 'new', tasks: [], observables: [] });
      expect((await timelineOf(incident.id)).map((entry) => entry.kind)).toEqual(['created', 'action']);
      const current = await f.call(f.analyst, { method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, payload: { title: 'two' }, headers: { 'if-match': first.headers.etag as string } });
      expect(current.statusCode).toBe(200);
    });

    it('takes the If-Match revision down to the store write: a write landing between the check and the write is kept, the request answers 412', async () => {
      const incident = await createIncident({ title: 'start', tags: ['a'] });
      const collection = f.cases.incidents;
      const replace = collection.replace.bind(collection);
      let racer = 0;
      let race = false;
      // Another writer (another API process, the engine) gets in just before the route's write.
      collection.replace = async (record) => {
        if (race) {
          race = false;
          racer += 1;
          const latest = (await collection.get(record.id)) as Stored<Incident>;
          await replace({ ...latest, title: `theirs ${racer}` });
        }
        return replace(record);
      };
      try {
        const requests: InjectOptions[] = [
          { method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, payload: { title: 'mine', severity: 'critical' } },
          post(`/api/v1/incidents/${incident.id}/status`, { status: 'acknowledged' }),
          post(`/api/v1/incidents/${incident.id}/comments`, { body: 'mine' }),
          post(`/api/v1/incidents/${incident.id}/tasks`, { title: 'mine' }),
          post(`/api/v1/incidents/${incident.id}/observables`, { type: 'ip', value: '192.0.2.1' }),
        ];
        for (const request of requests) {
          const rev = ((await f.cases.incidents.get(incident.id)) as Stored<Incident>).rev;
          race = true;
          const response = await f.call(f.analyst, { ...request, headers: { 'if-match': `"${rev}"` } });
          expect(response.statusCode, JSON.stringify([request.method, request.url, response.body])).toBe(412);
          expect(response.json()).toMatchObject({ error: 'precondition_failed', code: 'WATCHPOST_ERR_STORE_CONFLICT' });
        }
        expect(racer).toBe(requests.length);
        expect(await f.cases.incidents.get(incident.id)).toMatchObject({ title: `theirs ${racer}`, severity: 'medium', status: 'new', tasks: [], observables: [] });
        expect((await timelineOf(incident.id)).map((entry) => entry.kind)).toEqual(['created']);
        expect(await auditOf('incident.update')).toEqual([]);

        // Without If-Match the engine re-reads and applies the request over the other write.
        race = true;
        const latest = await f.call(f.analyst, { method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, payload: { severity: 'critical' } });
        expect(latest.statusCode, latest.body).toBe(200);
        expect(latest.json().incident).toMatchObject({ title: `theirs ${racer}`, severity: 'critical' });
      } finally {
        collection.replace = replace;
      }
    });

    it('writes title and severity edits through the engine as action entries with before and after, audited', async () => {
      const incident = await createIncident({ title: 'old title', severity: 'low' });
      const changed = await f.alerting.incidents.update(incident.id, { title: 'new title', severity: 'high' }, 'ana', { expectedRev: incident.rev });
      expect(changed.incident).toMatchObject({ title: 'new title', severity: 'high' });
      expect(changed.timeline.map((entry) => [entry.kind, entry.data])).toEqual([
        ['action', { field: 'title', from: 'old title', to: 'new title' }],
        ['action', { field: 'severity', from: 'low', to: 'high' }],
      ]);
      // The revision read before that write is stale now: the engine refuses and writes nothing.
      await expect(f.alerting.incidents.update(incident.id, { title: 'late' }, 'ana', { expectedRev: incident.rev })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_CONFLICT' });
      await expect(f.alerting.incidents.setStatus(incident.id, 'acknowledged', 'ana', { expectedRev: incident.rev })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_CONFLICT' });
      expect(await f.cases.incidents.get(incident.id)).toMatchObject({ title: 'new title', status: 'new' });
      const patched = await f.call(f.analyst, { method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, payload: { severity: 'low' }, headers: { 'if-match': `"${changed.incident.rev}"` } });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json().timeline).toEqual([expect.objectContaining({ kind: 'action', actor: 'ana', data: { field: 'severity', from: 'high', to: 'low' } })]);
      const [audit] = await auditOf('incident.update');
      expect(audit?.details).toMatchObject({ before: { severity: 'high' }, after: { severity: 'low' } });
    });

    it('moves status; closing without a verdict is 400 with the catalogue code; closing closes the alerts with the verdict', async () => {
      const alert = await alertFrom('198.51.100.20');
      const id = alert.incidentId as string;
      const ack = await f.call(f.analyst, post(`/api/v1/incidents/${id}/status`, { status: 'acknowledged' }));
      expect(ack.statusCode, ack.body).toBe(200);
      expect(ack.json().incident).toMatchObject({ status: 'acknowledged', acknowledgedAt: new Date(START).toISOString() });
      expect(ack.json().incident.sla.acknowledge.state).toBe('met');

      const noVerdict = await f.call(f.analyst, post(`/api/v1/incidents/${id}/status`, { status: 'closed' }));
      expect(noVerdict.statusCode).toBe(400);
      expect(noVerdict.json()).toMatchObject({ error: 'bad_request', code: 'WATCHPOST_ERR_CASE_INVALID' });
      expect((await f.cases.incidents.get(id))?.status).toBe('acknowledged');
      expect((await f.call(f.analyst, post(`/api/v1/incidents/${id}/status`, { status: 'closed', verdict: 'maybe' }))).statusCode).toBe(400);
      expect((await f.call(f.analyst, post(`/api/v1/incidents/${id}/status`, { status: 'done' }))).statusCode).toBe(400);

      const closed = await f.call(f.analyst, post(`/api/v1/incidents/${id}/status`, { status: 'closed', verdict: 'false_positive' }));
      expect(closed.statusCode, closed.body).toBe(200);
      expect(closed.json().incident).toMatchObject({ status: 'closed', verdict: 'false_positive' });
      expect(await f.cases.alerts.get(alert.id)).toMatchObject({ status: 'closed', verdict: 'false_positive' });
      const audits = await auditOf('incident.status');
      expect(audits.map((entry) => [(entry.details?.before as Incident).status, (entry.details?.after as Incident).status])).toEqual([
        ['new', 'acknowledged'],
        ['acknowledged', 'closed'],
      ]);
      // The same status again changes nothing and is not audited.
      const again = await f.call(f.analyst, post(`/api/v1/incidents/${id}/status`, { status: 'closed' }));
      expect(again.json().timeline).toEqual([]);
      expect(await auditOf('incident.status')).toHaveLength(2);
      expect((await f.call(f.analyst, post('/api/v1/incidents/nope/status', { status: 'acknowledged' }))).statusCode).toBe(404);
    });

    it('stores comments as the Markdown text sent, within the size limit, audited', async () => {
      const incident = await createIncident();
      const markdown = '**Blocked** at the edge.\n\n<script>alert(1)</script> `rm -rf /`';
      const response = await f.call(f.analyst, post(`/api/v1/incidents/${incident.id}/comments`, { body: markdown }));
      expect(response.statusCode, response.body).toBe(201);
      const [entry] = response.json().timeline;
      expect(entry).toMatchObject({ kind: 'comment', body: markdown, actor: 'ana' });
      expect((await timelineOf(incident.id)).find((e) => e.kind === 'comment')?.body).toBe(markdown);
      const [audit] = await auditOf('incident.comment');
      expect(audit?.details?.after).toEqual({ entryId: entry.id, body: markdown });
      expect(audit?.target).toEqual({ type: 'incident', id: incident.id });

      expect((await f.call(f.analyst, post(`/api/v1/incidents/${incident.id}/comments`, { body: 'x'.repeat(MAX_COMMENT_LENGTH + 1) }))).statusCode).toBe(400);
      expect((await f.call(f.analyst, post(`/api/v1/incidents/${incident.id}/comments`, { body: '' }))).statusCode).toBe(400);
      expect((await f.call(f.analyst, post('/api/v1/incidents/nope/comments', { body: 'x' }))).statusCode).toBe(404);
      expect(await auditOf('incident.comment')).toHaveLength(1);
    });

    it('adds, updates and removes tasks; an unknown task is 404', async () => {
      const incident = await createIncident();
      const added = await f.call(f.analyst, post(`/api/v1/incidents/${incident.id}/tasks`, { title: 'Reset password', assignee: 'vera' }));
      expect(added.statusCode, added.body).toBe(201);
      const task = added.json().incident.tasks[0];
      expect(task).toMatchObject({ title: 'Reset password', done: false, assignee: 'vera' });
      expect(added.json().timeline[0].data).toEqual({ taskId: task.id, action: 'added' });

      const done = await f.call(f.analyst, { method: 'PATCH', url: `/api/v1/incidents/${incident.id}/tasks/${task.id}`, payload: { done: true, assignee: null } });
      expect(done.statusCode, done.body).toBe(200);
      expect(done.json().incident.tasks[0]).toEqual({ id: task.id, title: 'Reset password', done: true });
      expect((await f.call(f.analyst, { method: 'PATCH', url: `/api/v1/incidents/${incident.id}/tasks/nope`, payload: { done: true } })).statusCode).toBe(404);
      expect((await f.call(f.analyst, { method: 'PATCH', url: `/api/v1/incidents/${incident.id}/tasks/${task.id}`, payload: {} })).statusCode).toBe(400);
      expect((await f.call(f.analyst, post(`/api/v1/incidents/${incident.id}/tasks`, { title: 'x'.repeat(501) }))).statusCode).toBe(400);

      const removed = await f.call(f.analyst, { method: 'DELETE', url: `/api/v1/incidents/${incident.id}/tasks/${task.id}` });
      expect(removed.statusCode, removed.body).toBe(200);
      expect(removed.json().incident.tasks).toEqual([]);
      expect((await f.call(f.analyst, { method: 'DELETE', url: `/api/v1/incidents/${incident.id}/tasks/${task.id}` })).statusCode).toBe(404);
      expect((await auditOf('incident.task.add')).map((entry) => (entry.details?.after as Incident).tasks.length)).toEqual([1]);
      expect(await auditOf('incident.task.update')).toHaveLength(1);
      expect((await auditOf('incident.task.remove'))[0]?.details).toMatchObject({ before: { tasks: [{ id: task.id }] }, after: { tasks: [] } });
    });

    it('adds and removes observables by type and value (values with URL characters in the query)', async () => {
      const incident = await createIncident();
      const url = 'https://evil.example/a?b=c&d=/e#f';
      const added = await f.call(f.analyst, post(`/api/v1/incidents/${incident.id}/observables`, { type: 'url', value: url, note: 'phish' }));
      expect(added.statusCode, added.body).toBe(201);
      expect(added.json().incident.observables).toEqual([{ type: 'url', value: url, note: 'phish' }]);
      const repeat = await f.call(f.analyst, post(`/api/v1/incidents/${incident.id}/observables`, { type: 'url', value: url }));
      expect(repeat.statusCode).toBe(200);
      expect(repeat.json().timeline).toEqual([]);
      expect((await f.call(f.analyst, post(`/api/v1/incidents/${incident.id}/observables`, { type: 'mac', value: 'x' }))).statusCode).toBe(400);

      const query = `type=url&value=${encodeURIComponent(url)}`;
      const removed = await f.call(f.analyst, { method: 'DELETE', url: `/api/v1/incidents/${incident.id}/observables?${query}` });
      expect(removed.statusCode, removed.body).toBe(200);
      expect(removed.json().incident.observables).toEqual([]);
      expect((await f.call(f.analyst, { method: 'DELETE', url: `/api/v1/incidents/${incident.id}/observables?${query}` })).statusCode).toBe(404);
      expect(await auditOf('incident.observable.add')).toHaveLength(1);
      expect(await auditOf('incident.observable.remove')).toHaveLength(1);
    });
  });

  describe(`alerts, merge and split (${backend})`, () => {
    it('links an alert (moving it from its incident) and unlinks it; unknown alerts are 400', async () => {
      const alert = await alertFrom('203.0.113.50', 'critical');
      const from = alert.incidentId as string;
      const target = await createIncident({ title: 'target', severity: 'low' });
      const linked = await f.call(f.analyst, post(`/api/v1/incidents/${target.id}/alerts/link`, { alertIds: [alert.id] }));
      expect(linked.statusCode, linked.body).toBe(200);
      expect(linked.json().incident).toMatchObject({ alertIds: [alert.id], severity: 'critical' });
      expect((await f.cases.alerts.get(alert.id))?.incidentId).toBe(target.id);
      expect((await f.cases.incidents.get(from))?.alertIds).toEqual([]);
      expect((await auditOf('incident.link'))[0]?.details).toMatchObject({ before: { alertIds: [] }, after: { alertIds: [alert.id] } });

      const unknown = await f.call(f.analyst, post(`/api/v1/incidents/${target.id}/alerts/link`, { alertIds: ['nope'] }));
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().code).toBe('WATCHPOST_ERR_CASE_INVALID');
      expect((await f.call(f.analyst, post(`/api/v1/incidents/${target.id}/alerts/link`, { alertIds: [] }))).statusCode).toBe(400);

      const unlinked = await f.call(f.analyst, post(`/api/v1/incidents/${target.id}/alerts/unlink`, { alertIds: [alert.id] }));
      expect(unlinked.statusCode, unlinked.body).toBe(200);
      expect(unlinked.json().incident.alertIds).toEqual([]);
      expect((await f.cases.alerts.get(alert.id))?.incidentId).toBeUndefined();
      expect((await f.call(f.analyst, post(`/api/v1/incidents/${target.id}/alerts/unlink`, { alertIds: [alert.id] }))).statusCode).toBe(400);
      expect(await auditOf('incident.unlink')).toHaveLength(1);
    });

    it('merges incidents into one, closing the sources as merged, with an audit entry per incident', async () => {
      const a = await alertFrom('203.0.113.60', 'low');
      const b = await alertFrom('203.0.113.61', 'critical');
      const target = a.incidentId as string;
      const source = b.incidentId as string;
      const merged = await f.call(f.analyst, post(`/api/v1/incidents/${target}/merge`, { incidentIds: [source] }));
      expect(merged.statusCode, merged.body).toBe(200);
      expect(merged.json().incident).toMatchObject({ alertIds: [a.id, b.id], severity: 'critical' });
      expect(await f.cases.incidents.get(source)).toMatchObject({ status: 'closed', mergedInto: target, alertIds: [] });
      expect((await auditOf('incident.merge')).map((entry) => entry.target?.id).sort()).toEqual([source, target].sort());

      expect((await f.call(f.analyst, post(`/api/v1/incidents/${target}/merge`, { incidentIds: ['nope'] }))).statusCode).toBe(400);
      expect((await f.call(f.analyst, post(`/api/v1/incidents/${target}/merge`, { incidentIds: [target] }))).statusCode).toBe(400);
      expect((await f.call(f.analyst, post(`/api/v1/incidents/${target}/merge`, { incidentIds: [source] }))).statusCode).toBe(400);
      expect((await f.call(f.analyst, post('/api/v1/incidents/nope/merge', { incidentIds: [source] }))).statusCode).toBe(404);
    });

    it('splits alerts off into a new incident', async () => {
      const a = await alertFrom('203.0.113.70', 'low', 'rule-one');
      const b = await alertFrom('203.0.113.70', 'critical', 'rule-two');
      const id = a.incidentId as string;
      expect(b.incidentId).toBe(id);
      const split = await f.call(f.analyst, post(`/api/v1/incidents/${id}/split`, { alertIds: [b.id], title: 'the critical part' }));
      expect(split.statusCode, split.body).toBe(201);
      const { original, created } = split.json();
      expect(original.incident).toMatchObject({ id, alertIds: [a.id], severity: 'low' });
      expect(created.incident).toMatchObject({ title: 'the critical part', alertIds: [b.id], severity: 'critical' });
      expect(split.headers.location).toBe(`/api/v1/incidents/${created.incident.id}`);
      expect(split.headers.etag).toBe(`"${original.incident.rev}"`);
      expect((await f.cases.alerts.get(b.id))?.incidentId).toBe(created.incident.id);
      const audits = await auditOf('incident.split');
      expect(audits.map((entry) => [entry.target?.id, entry.details?.before !== undefined])).toEqual([
        [id, true],
        [created.incident.id, false],
      ]);
      expect((await f.call(f.analyst, post(`/api/v1/incidents/${id}/split`, { alertIds: ['nope'] }))).statusCode).toBe(400);
    });
  });

  describe(`timeline and response figures (${backend})`, () => {
    it('pages the timeline oldest first, filters by kind, and 404s for an unknown incident', async () => {
      const incident = await createIncident();
      for (const body of ['one', 'two', 'three']) {
        f.clock.advance(1000);
        await f.call(f.analyst, post(`/api/v1/incidents/${incident.id}/comments`, { body }));
      }
      const first = (await f.call(f.viewer, { method: 'GET', url: `/api/v1/incidents/${incident.id}/timeline?limit=2` })).json();
      expect(first.total).toBe(4);
      expect(first.items.map((entry: TimelineEntry) => entry.body)).toEqual(['Incident opened by hand', 'one']);
      const second = (await f.call(f.viewer, { method: 'GET', url: `/api/v1/incidents/${incident.id}/timeline?limit=2&cursor=${encodeURIComponent(first.nextCursor)}` })).json();
      expect(second.items.map((entry: TimelineEntry) => entry.body)).toEqual(['two', 'three']);
      expect(second.nextCursor).toBeUndefined();
      const comments = (await f.call(f.viewer, { method: 'GET', url: `/api/v1/incidents/${incident.id}/timeline?kind=comment&order=desc` })).json();
      expect(comments.items.map((entry: TimelineEntry) => entry.body)).toEqual(['three', 'two', 'one']);
      expect((await f.call(f.viewer, { method: 'GET', url: '/api/v1/incidents/nope/timeline' })).statusCode).toBe(404);
    });

    it('reports MTTA, MTTR and SLA breaches per severity over a range', async () => {
      const fast = await alertFrom('198.51.100.90', 'high');
      const slow = await alertFrom('198.51.100.91', 'critical');
      f.clock.advance(10 * MINUTE);
      await f.call(f.analyst, post(`/api/v1/incidents/${fast.incidentId}/status`, { status: 'acknowledged' }));
      f.clock.advance(20 * MINUTE);
      await f.call(f.analyst, post(`/api/v1/incidents/${slow.incidentId}/status`, { status: 'acknowledged' }));
      await f.call(f.analyst, post(`/api/v1/incidents/${fast.incidentId}/status`, { status: 'resolved', verdict: 'true_positive' }));
      const response = await f.call(f.viewer, { method: 'GET', url: '/api/v1/metrics/response?from=2024-05-01&to=2024-05-02' });
      expect(response.statusCode, response.body).toBe(200);
      const report = response.json();
      expect(report).toMatchObject({ from: '2024-05-01T00:00:00.000Z', to: '2024-05-02T00:00:00.000Z', incidents: 2, acknowledged: 2, resolved: 1 });
      expect(report.mttaMs).toBe(20 * MINUTE);
      expect(report.mttrMs).toBe(30 * MINUTE);
      // Critical: 15 min to acknowledge, missed at 30.
      expect(report.bySeverity.critical).toMatchObject({ incidents: 1, mttaMs: 30 * MINUTE, acknowledgeBreaches: 1 });
      expect(report.bySeverity.high).toMatchObject({ incidents: 1, mttaMs: 10 * MINUTE, mttrMs: 30 * MINUTE, acknowledgeBreaches: 0 });
      expect(report.bySeverity.low).toMatchObject({ incidents: 0, acknowledgeBreaches: 0 });
      expect(report.bySeverity.low.mttaMs).toBeUndefined();

      const outside = (await f.call(f.viewer, { method: 'GET', url: '/api/v1/metrics/response?from=2024-04-01&to=2024-04-30' })).json();
      expect(outside.incidents).toBe(0);
      const defaulted = (await f.call(f.viewer, { method: 'GET', url: '/api/v1/metrics/response' })).json();
      expect(defaulted.incidents).toBe(2);
      expect((await f.call(f.viewer, { method: 'GET', url: '/api/v1/metrics/response?from=2024-05-02&to=2024-05-01' })).statusCode).toBe(400);
      expect((await f.call(f.viewer, { method: 'GET', url: '/api/v1/metrics/response?from=2020-01-01&to=2024-05-01' })).statusCode).toBe(400);
    });
  });
}
