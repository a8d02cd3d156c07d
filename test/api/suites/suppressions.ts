import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertingApiHarness, type AlertingApiHarness } from '../alerting-harness.js';
import { sshMatch } from '../../integration/alerting-behaviour.js';
import { MAX_LIVE_SUPPRESSIONS, type SuppressionView } from '../../../api/routes/suppressions/index.js';
import type { StoreBackend } from '../backends.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The /api/v1/suppressions API behaviours, on the case store of `backend` (see test/api/backends.ts). */
export function describeSuppressionsApi(backend: StoreBackend): void {
  describe(`/api/v1/suppressions (${backend})`, () => {
    let h: AlertingApiHarness;
    let viewer: string;
    let analyst: string;
    const iso = (offsetMs: number) => new Date(h.clock.now() + offsetMs).toISOString();

    beforeEach(async () => {
      h = await alertingApiHarness({}, backend);
      viewer = await h.bearer('vera', ['viewer']);
      analyst = await h.bearer('ana', ['analyst']);
    });
    afterEach(async () => {
      await h.close();
    });

    const create = (payload: Record<string, unknown>, authorization = analyst) => h.call(authorization, { method: 'POST', url: '/api/v1/suppressions', payload });
    const list = async (state: string) =>
      (await h.call(viewer, { method: 'GET', url: `/api/v1/suppressions?state=${state}` })).json<{ items: SuppressionView[]; total: number }>();

    it('creates a suppression authored by the requester that swallows matches until it is expired by DELETE', async () => {
      const response = await create({ fields: { 'source.ip': '192.0.2.9' }, rule: 'a1b2c3d4-ssh-failed-login', expiresAt: iso(DAY), reason: 'scanner of the red team' });
      expect(response.statusCode, response.body).toBe(201);
      const created = response.json<SuppressionView>();
      expect(created).toMatchObject({ author: 'ana', state: 'in_force', suppressedCount: 0, fields: { 'source.ip': '192.0.2.9' } });

      const handled = await h.alerting.handle([sshMatch('192.0.2.9', iso(0)), sshMatch('192.0.2.10', iso(0))]);
      expect(handled).toMatchObject({ suppressed: 1, created: 1 });
      const read = await h.call(viewer, { method: 'GET', url: `/api/v1/suppressions/${created.id}` });
      expect(read.json<SuppressionView>().suppressedCount).toBe(1);
      expect((await list('in_force')).items.map((s) => s.id)).toEqual([created.id]);

      h.clock.advance(1000);
      const expired = await h.call(analyst, { method: 'DELETE', url: `/api/v1/suppressions/${created.id}` });
      expect(expired.statusCode).toBe(200);
      expect(expired.json<SuppressionView>()).toMatchObject({ state: 'expired', expiresAt: iso(0), suppressedCount: 1 });
      expect((await list('in_force')).total).toBe(0);
      expect((await list('expired')).items.map((s) => s.id)).toEqual([created.id]);
      expect((await h.alerting.handle([sshMatch('192.0.2.9', iso(0))])).created).toBe(1);

      const audit = (await h.cases.audit.list()).items;
      expect(audit.map((entry) => entry.action)).toEqual(['suppression.create', 'suppression.expire']);
      expect(audit[1]).toMatchObject({ target: { type: 'suppression', id: created.id }, details: { before: { state: 'in_force' }, after: { state: 'expired' } } });
    });

    it('lists scheduled ones apart and expires a scheduled one so that it never starts', async () => {
      const scheduled = (await create({ fields: { 'user.name': 'backup' }, startsAt: iso(HOUR), expiresAt: iso(2 * HOUR), reason: 'maintenance window' })).json<SuppressionView>();
      expect(scheduled.state).toBe('scheduled');
      expect((await list('scheduled')).items.map((s) => s.id)).toEqual([scheduled.id]);
      expect((await list('in_force')).total).toBe(0);
      await h.call(analyst, { method: 'DELETE', url: `/api/v1/suppressions/${scheduled.id}` });
      h.clock.advance(90 * 60_000);
      expect((await list('in_force')).total).toBe(0);
      expect((await list('expired')).total).toBe(1);
    });

    it('validates: fields required and named as ECS fields, an expiry after the start and within a year, a reason', async () => {
      const bad = [
        { fields: {}, expiresAt: iso(DAY), reason: 'r' },
        { fields: { 'bad field': 'x' }, expiresAt: iso(DAY), reason: 'r' },
        { fields: { 'source.ip': '' }, expiresAt: iso(DAY), reason: 'r' },
        { fields: { 'source.ip': 'x' }, expiresAt: iso(-1000), reason: 'r' },
        { fields: { 'source.ip': 'x' }, expiresAt: iso(400 * DAY), reason: 'r' },
        { fields: { 'source.ip': 'x' }, expiresAt: 'tomorrow-ish', reason: 'r' },
        { fields: { 'source.ip': 'x' }, expiresAt: iso(DAY) },
        { fields: { 'source.ip': 'x', 'bad field': 'y' }, expiresAt: iso(DAY), reason: 'r' },
      ];
      for (const payload of bad) expect((await create(payload)).statusCode, JSON.stringify(payload)).toBe(400);
      expect((await h.cases.suppressions.list()).total).toBe(0);
      // The author is the requester, whatever the body says (unknown keys are dropped).
      const spoofed = await create({ fields: { 'source.ip': 'x' }, expiresAt: iso(DAY), reason: 'r', author: 'someone-else' });
      expect(spoofed.json<SuppressionView>().author).toBe('ana');
    });

    it('caps the suppressions in force or scheduled', async () => {
      const at = iso(0);
      // In batches: one by one, 500 writes that each wait for an Elasticsearch refresh take minutes.
      for (let first = 0; first < MAX_LIVE_SUPPRESSIONS; first += 50) {
        const batch = Array.from({ length: Math.min(50, MAX_LIVE_SUPPRESSIONS - first) }, (_, k) => first + k);
        await Promise.all(
          batch.map((i) =>
            h.cases.suppressions.create({
              id: `s${i}`,
              fields: { 'source.ip': `10.0.${Math.floor(i / 256)}.${i % 256}` },
              startsAt: at,
              expiresAt: iso(DAY),
              author: 'ana',
              reason: 'bulk',
              suppressedCount: 0,
              createdAt: at,
              updatedAt: at,
            }),
          ),
        );
      }
      const refused = await create({ fields: { 'source.ip': '192.0.2.1' }, expiresAt: iso(DAY), reason: 'one too many' });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'WATCHPOST_ERR_CASE_INVALID' });
    });

    it('lets viewers read but not create or delete', async () => {
      expect((await create({ fields: { 'source.ip': 'x' }, expiresAt: iso(DAY), reason: 'r' }, viewer)).statusCode).toBe(403);
      expect((await h.call(viewer, { method: 'DELETE', url: '/api/v1/suppressions/x' })).statusCode).toBe(403);
      expect((await h.call(viewer, { method: 'GET', url: '/api/v1/suppressions' })).statusCode).toBe(200);
      expect((await h.call(analyst, { method: 'DELETE', url: '/api/v1/suppressions/missing' })).statusCode).toBe(404);
    });
  });
}
