import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { openSqliteDatabase, type SqliteDatabase } from '../../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../../backends/sqlite/case-store.js';
import { scryptHasher } from '../../../core/auth/password.js';
import { createUser } from '../../../core/auth/users.js';
import type { Role } from '../../../core/cases/types.js';
import { ManualClock } from '../../../core/clock.js';
import { loadConfig } from '../../../core/config/load.js';
import { hashSecret, randomId, randomSecret } from '../../../core/ids.js';
import { silentLogger } from '../../../core/log.js';
import { createMetricsRegistry } from '../../../core/metrics.js';
import type { ReportRecord } from '../../../core/reports/types.js';
import { MemoryReports } from '../../../test/api/full-harness.js';
import { buildApi } from '../../app.js';
import { formatToken } from '../../plugins/token-auth.js';
import { REPORT_ID_PATTERN, toReportView, type ReportView } from './index.js';
import { weekNotEndedAnywhere, weekStartUtc } from './week.js';

/** Tuesday of ISO week 2026-W48: W47 is the last full week. */
const T0 = Date.parse('2026-11-24T18:00:00.000Z');
const hasher = scryptHasher({ N: 2 ** 10, r: 8, p: 1 });
const PDF = Buffer.from('%PDF-1.7\n% test\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

function record(week: string, overrides: Partial<ReportRecord> = {}): ReportRecord {
  const start = weekStartUtc(week) as number;
  return {
    id: `weekly.${week}`,
    kind: 'weekly',
    period: { week, timeZone: 'UTC', from: new Date(start).toISOString(), to: new Date(start + 7 * 86_400_000).toISOString() },
    requestedBy: 'schedule',
    status: 'ready',
    pages: 6,
    sizeBytes: PDF.length,
    sha256: 'ab'.repeat(32),
    summary: { alerts: 412, incidentsOpened: 9, blocked: 17 },
    mail: { sentAt: new Date(start + 7 * 86_400_000 + 7 * 3_600_000).toISOString(), accepted: ['ciso@example.org'] },
    createdAt: new Date(start + 7 * 86_400_000 + 7 * 3_600_000).toISOString(),
    updatedAt: new Date(start + 7 * 86_400_000 + 7 * 3_600_000).toISOString(),
    ...overrides,
  };
}

interface Built {
  readonly app: FastifyInstance;
  readonly cases: SqliteCaseStore;
  readonly clock: ManualClock;
  readonly reports: MemoryReports;
}

describe('/api/v1/reports', () => {
  let db: SqliteDatabase;
  let built: Built;
  let app: FastifyInstance;
  const bearers = new Map<Role, string>();

  async function build(withReports = true): Promise<Built> {
    const cases = new SqliteCaseStore(db);
    const clock = new ManualClock(T0);
    const reports = new MemoryReports(() => clock.now(), '2026-W47');
    const api = await buildApi({
      config: loadConfig({ env: {} }).api,
      logger: silentLogger(),
      version: '0.0.0-test',
      metrics: createMetricsRegistry({ role: 'api' }),
      health: { cases },
      cases,
      passwords: hasher,
      clock,
      ...(withReports ? { reports } : {}),
    });
    return { app: api, cases, clock, reports };
  }

  async function bearer(role: Role): Promise<string> {
    const existing = bearers.get(role);
    if (existing) return existing;
    const at = new Date(T0).toISOString();
    const userId = `user-${role}`;
    await built.cases.users.create({ id: userId, username: userId, roles: [role], disabled: false, createdAt: at, updatedAt: at });
    const id = randomId();
    const secret = randomSecret();
    await built.cases.tokens.create({ id, name: `test ${role}`, userId, secretHash: hashSecret(secret), roles: [role], revoked: false, createdAt: at });
    const header = `Bearer ${formatToken(id, secret)}`;
    bearers.set(role, header);
    return header;
  }

  async function call(role: Role | undefined, options: InjectOptions): Promise<LightMyRequestResponse> {
    const authorization = role === undefined ? undefined : await bearer(role);
    return app.inject({ ...options, headers: { ...(options.headers ?? {}), ...(authorization !== undefined ? { authorization } : {}) } });
  }

  beforeEach(async () => {
    db = openSqliteDatabase(':memory:');
    bearers.clear();
    built = await build();
    app = built.app;
  });
  afterEach(async () => {
    await app.close();
    db.close();
  });

  describe('GET /api/v1/reports', () => {
    it('lists the records newest week first for a viewer, without PDF bytes or fields the record does not list', async () => {
      built.reports.put(record('2026-W46'), PDF);
      built.reports.put({ ...record('2026-W47'), rev: '7', base64: PDF.toString('base64') } as ReportRecord, PDF);
      built.reports.put(record('2026-W45', { status: 'failed', error: 'the event store did not answer', pages: undefined, sizeBytes: undefined, sha256: undefined, summary: undefined, mail: undefined }));
      const response = await call('viewer', { method: 'GET', url: '/api/v1/reports' });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json<{ items: ReportView[] }>();
      expect(body.items.map((item) => item.id)).toEqual(['weekly.2026-W47', 'weekly.2026-W46', 'weekly.2026-W45']);
      expect(body.items[0]).toEqual(toReportView(record('2026-W47')));
      expect(body.items[0]).toMatchObject({ pages: 6, summary: { alerts: 412, incidentsOpened: 9, blocked: 17 }, mail: { accepted: ['ciso@example.org'] } });
      expect(body.items[2]).toMatchObject({ status: 'failed', error: 'the event store did not answer' });
      expect(body.items[2]).not.toHaveProperty('pages');
      expect(response.body).not.toContain('base64');
      expect(response.body).not.toContain('JVBERi');
      expect(response.body).not.toContain('"rev"');
    });

    it('answers an empty list when nothing was generated yet', async () => {
      const response = await call('viewer', { method: 'GET', url: '/api/v1/reports' });
      expect(response.json()).toEqual({ items: [] });
    });

    it('answers 401 without a principal and 403 to an ingest token', async () => {
      expect((await call(undefined, { method: 'GET', url: '/api/v1/reports' })).statusCode).toBe(401);
      expect((await call('ingest', { method: 'GET', url: '/api/v1/reports' })).statusCode).toBe(403);
    });
  });

  describe('GET /api/v1/reports/{id}', () => {
    it('answers the record to a viewer, 404 in the API error shape when there is none', async () => {
      built.reports.put(record('2026-W47'), PDF);
      const found = await call('viewer', { method: 'GET', url: '/api/v1/reports/weekly.2026-W47' });
      expect(found.statusCode).toBe(200);
      expect(found.json()).toEqual(toReportView(record('2026-W47')));
      const missing = await call('viewer', { method: 'GET', url: '/api/v1/reports/weekly.2026-W40' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ error: 'not_found', code: 'WATCHPOST_ERR_STORE_NOT_FOUND', message: 'no report weekly.2026-W40' });
    });

    it('refuses a malformed id, or a week the year does not have, with WATCHPOST_ERR_REPORT_INVALID before asking the service', async () => {
      let asked = 0;
      const get = built.reports.get.bind(built.reports);
      built.reports.get = async (id) => {
        asked += 1;
        return get(id);
      };
      for (const id of ['weekly.2026-W54', 'weekly.2026-W00', 'daily.2026-W47', 'weekly.2026-W4', 'weekly.2026-W47x', '..%2F..%2Fetc%2Fpasswd', 'weekly.2025-W53']) {
        const response = await call('viewer', { method: 'GET', url: `/api/v1/reports/${id}` });
        expect(response.statusCode, id).toBe(400);
        expect(response.json(), id).toMatchObject({ error: 'bad_request', code: 'WATCHPOST_ERR_REPORT_INVALID' });
      }
      expect(asked).toBe(0);
      // 2026 has 53 weeks, 2025 has 52.
      expect((await call('viewer', { method: 'GET', url: '/api/v1/reports/weekly.2026-W53' })).statusCode).toBe(404);
      expect(asked).toBe(1);
    });
  });

  describe('GET /api/v1/reports/{id}/pdf', () => {
    it('sends the PDF as an attachment named after the week, never cached or sniffed', async () => {
      built.reports.put(record('2026-W47'), PDF);
      const response = await call('viewer', { method: 'GET', url: '/api/v1/reports/weekly.2026-W47/pdf' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/pdf');
      expect(response.headers['content-disposition']).toBe('attachment; filename="watchpost-weekly-2026-W47.pdf"');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['cache-control']).toBe('private, no-store');
      expect(response.rawPayload.equals(PDF)).toBe(true);
      expect(response.rawPayload.subarray(0, 4).toString()).toBe('%PDF');
    });

    it('answers 404 for a report without a PDF (failed, or unknown) and 400 for a malformed id', async () => {
      built.reports.put(record('2026-W46', { status: 'failed', error: 'x' }));
      const failed = await call('viewer', { method: 'GET', url: '/api/v1/reports/weekly.2026-W46/pdf' });
      expect(failed.statusCode).toBe(404);
      expect(failed.json()).toMatchObject({ error: 'not_found', code: 'WATCHPOST_ERR_STORE_NOT_FOUND' });
      expect((await call('viewer', { method: 'GET', url: '/api/v1/reports/weekly.2026-W45/pdf' })).statusCode).toBe(404);
      const bad = await call('viewer', { method: 'GET', url: '/api/v1/reports/weekly.2026-W47%22%0D%0AX-Evil:1/pdf' });
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['content-disposition']).toBeUndefined();
      expect(bad.json()).toMatchObject({ code: 'WATCHPOST_ERR_REPORT_INVALID' });
    });

    it('answers 401 without a principal', async () => {
      built.reports.put(record('2026-W47'), PDF);
      const response = await call(undefined, { method: 'GET', url: '/api/v1/reports/weekly.2026-W47/pdf' });
      expect(response.statusCode).toBe(401);
      expect(response.body).not.toContain('%PDF');
    });
  });

  describe('POST /api/v1/reports', () => {
    const post = (role: Role | undefined, payload: unknown) => call(role, { method: 'POST', url: '/api/v1/reports', payload: payload as InjectOptions['payload'] });

    it('queues a week for an analyst: 202 with the report and job ids, the acting user as requester, audited', async () => {
      const response = await post('analyst', { week: '2026-W45' });
      expect(response.statusCode, response.body).toBe(202);
      expect(response.json()).toEqual({ id: 'weekly.2026-W45', jobId: 'weekly-report.2026-W45.1', week: '2026-W45' });
      expect(built.reports.requests).toEqual([{ week: '2026-W45', mail: false, requestedBy: 'user-analyst' }]);
      const audit = await built.cases.audit.list({ sort: 'at', order: 'desc' });
      expect(audit.items).toHaveLength(1);
      expect(audit.items[0]).toMatchObject({
        actor: expect.stringMatching(/^token:/),
        action: 'report.request',
        target: { type: 'report', id: 'weekly.2026-W45' },
        outcome: 'success',
        details: { after: { week: '2026-W45', mail: false, jobId: 'weekly-report.2026-W45.1', requestedBy: 'user-analyst' } },
      });
    });

    it('asks for the last full week when none is given', async () => {
      const response = await post('analyst', {});
      expect(response.statusCode, response.body).toBe(202);
      expect(response.json()).toMatchObject({ id: 'weekly.2026-W47', week: '2026-W47' });
      expect(built.reports.requests).toEqual([{ mail: false, requestedBy: 'user-analyst' }]);
    });

    it('lets only an admin ask for the report to be mailed', async () => {
      for (const role of ['analyst', 'responder', 'approver'] as const) {
        const refused = await post(role, { week: '2026-W47', mail: true });
        expect(refused.statusCode, role).toBe(403);
        expect(refused.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('admin') });
      }
      expect(built.reports.requests).toEqual([]);
      const allowed = await post('admin', { week: '2026-W47', mail: true });
      expect(allowed.statusCode).toBe(202);
      expect(built.reports.requests).toEqual([{ week: '2026-W47', mail: true, requestedBy: 'user-admin' }]);
      const audit = await built.cases.audit.list();
      expect(audit.items[0]?.details).toMatchObject({ after: { week: '2026-W47', mail: true } });
    });

    it('refuses viewers and ingest tokens (403) and anonymous requests (401), queueing nothing', async () => {
      expect((await post('viewer', { week: '2026-W47' })).statusCode).toBe(403);
      expect((await post('ingest', { week: '2026-W47' })).statusCode).toBe(403);
      expect((await post(undefined, { week: '2026-W47' })).statusCode).toBe(401);
      expect(built.reports.requests).toEqual([]);
      expect((await built.cases.audit.list()).total).toBe(0);
    });

    it('refuses a malformed week or a wrong type with WATCHPOST_ERR_REPORT_INVALID and its problems', async () => {
      for (const body of [{ week: '2026-47' }, { week: '2026-W60' }, { week: '2025-W53' }, { week: 'x'.repeat(200) }, { week: 47 }, { mail: 'yes' }]) {
        const response = await post('analyst', body);
        expect(response.statusCode, JSON.stringify(body)).toBe(400);
        expect(response.json(), JSON.stringify(body)).toMatchObject({ error: 'bad_request', code: 'WATCHPOST_ERR_REPORT_INVALID' });
      }
      const bad = (await post('analyst', { week: '2026-47' })).json<{ problems: { path?: string }[] }>();
      expect(bad.problems).toEqual([expect.objectContaining({ path: 'week' })]);
      expect(built.reports.requests).toEqual([]);
      // Unknown keys are dropped (the app's validator removes them), never passed on.
      expect((await post('analyst', { week: '2026-W40', requestedBy: 'schedule' })).statusCode).toBe(202);
      expect(built.reports.requests).toEqual([{ week: '2026-W40', mail: false, requestedBy: 'user-analyst' }]);
    });

    it('refuses the current week and a future one; the service refuses, with the same code, a week that ended in UTC+14 but not in its zone', async () => {
      for (const week of ['2026-W48', '2026-W52', '2027-W01']) {
        const response = await post('analyst', { week });
        expect(response.statusCode, week).toBe(400);
        expect(response.json()).toMatchObject({ code: 'WATCHPOST_ERR_REPORT_INVALID', message: `week ${week} has not ended yet: a report covers a whole week` });
      }
      // Sunday 2026-11-29 12:00 UTC: W48 has ended in Kiritimati but not in UTC, the fake's zone.
      built.clock.set(Date.parse('2026-11-29T12:00:00.000Z'));
      const response = await post('analyst', { week: '2026-W48' });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'WATCHPOST_ERR_REPORT_INVALID', message: 'week 2026-W48 has not ended yet' });
      expect(built.reports.requests).toEqual([]);
      expect((await built.cases.audit.list()).total).toBe(0);
    });

    it('needs the CSRF token with a session cookie', async () => {
      await createUser(built.cases, hasher, { username: 'ana', roles: ['analyst'], password: 'ana-correct-horse-battery' }, { actor: 'cli', clock: built.clock });
      const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'ana', password: 'ana-correct-horse-battery' } });
      expect(login.statusCode, login.body).toBe(200);
      const cookie = login.cookies[0] as { name: string; value: string };
      const { csrfToken } = login.json<{ csrfToken: string }>();
      const without = await app.inject({ method: 'POST', url: '/api/v1/reports', cookies: { [cookie.name]: cookie.value }, payload: { week: '2026-W47' } });
      expect(without.statusCode).toBe(403);
      expect(without.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_CSRF' });
      expect(built.reports.requests).toEqual([]);
      const withToken = await app.inject({
        method: 'POST',
        url: '/api/v1/reports',
        cookies: { [cookie.name]: cookie.value },
        headers: { 'x-csrf-token': csrfToken },
        payload: { week: '2026-W47' },
      });
      expect(withToken.statusCode, withToken.body).toBe(202);
      expect(built.reports.requests).toEqual([{ week: '2026-W47', mail: false, requestedBy: expect.any(String) }]);
    });
  });

  describe('without the reports service', () => {
    it('answers 503 on every route once the request is valid and permitted', async () => {
      await app.close();
      built = await build(false);
      app = built.app;
      bearers.clear();
      for (const options of [
        { method: 'GET', url: '/api/v1/reports' },
        { method: 'GET', url: '/api/v1/reports/weekly.2026-W47' },
        { method: 'GET', url: '/api/v1/reports/weekly.2026-W47/pdf' },
        { method: 'POST', url: '/api/v1/reports', payload: { week: '2026-W47' } },
      ] as InjectOptions[]) {
        const response = await call('admin', options);
        expect(response.statusCode, options.url as string).toBe(503);
        expect(response.json()).toEqual({ error: 'unavailable', message: 'this process has no reports service' });
      }
      // Refusals still come first.
      expect((await call('viewer', { method: 'POST', url: '/api/v1/reports', payload: {} })).statusCode).toBe(403);
      expect((await call('admin', { method: 'GET', url: '/api/v1/reports/nope' })).statusCode).toBe(400);
    });
  });

  describe('the OpenAPI document', () => {
    it('describes every route with its roles and the PDF as application/pdf', async () => {
      const document = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{ paths: Record<string, Record<string, Record<string, unknown>>> }>();
      expect(document.paths['/api/v1/reports']?.get?.['x-watchpost-roles']).toEqual(['viewer']);
      expect(document.paths['/api/v1/reports']?.post?.['x-watchpost-roles']).toEqual(['analyst']);
      expect(document.paths['/api/v1/reports/{id}']?.get?.['x-watchpost-roles']).toEqual(['viewer']);
      const pdf = document.paths['/api/v1/reports/{id}/pdf']?.get as { responses: Record<string, { content?: Record<string, unknown> }> };
      expect(Object.keys(pdf.responses['200']?.content ?? {})).toEqual(['application/pdf']);
      expect(JSON.stringify(document.paths['/api/v1/reports']?.post)).toContain(REPORT_ID_PATTERN.slice('^weekly\\.'.length));
    });
  });
});

describe('report weeks in the API', () => {
  it('knows which years have a week 53', () => {
    expect(weekStartUtc('2026-W53')).toBe(Date.parse('2026-12-28T00:00:00.000Z'));
    expect(weekStartUtc('2020-W53')).toBe(Date.parse('2020-12-28T00:00:00.000Z'));
    expect(weekStartUtc('2025-W53')).toBeUndefined();
    expect(weekStartUtc('2026-W01')).toBe(Date.parse('2025-12-29T00:00:00.000Z'));
    expect(weekStartUtc('2026-W47')).toBe(Date.parse('2026-11-16T00:00:00.000Z'));
    expect(weekStartUtc('2026-w47')).toBeUndefined();
  });

  it('calls a week ended once its next Monday has begun in the zone furthest ahead (UTC+14)', () => {
    // 2026-W47 ends Monday 2026-11-23 00:00 local: 2026-11-22T10:00Z in Kiritimati.
    expect(weekNotEndedAnywhere('2026-W47', Date.parse('2026-11-22T09:59:59.999Z'))).toBe(true);
    expect(weekNotEndedAnywhere('2026-W47', Date.parse('2026-11-22T10:00:00.000Z'))).toBe(false);
    expect(weekNotEndedAnywhere('2026-W47', T0)).toBe(false);
    expect(weekNotEndedAnywhere('2026-W48', T0)).toBe(true);
  });
});
