import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../core/cases/types.js';
import { apiHarness, type ApiHarness } from '../harness.js';
import { recordAudit } from '../../../api/routes/audit/record.js';
import type { StoreBackend } from '../backends.js';

interface Page {
  items: AuditEntry[];
  total: number;
  nextCursor?: string;
}

const T0 = Date.parse('2030-03-01T10:00:00.000Z');

/** The /api/v1/audit API behaviours, on the case store of `backend` (see test/api/backends.ts). */
export function describeAuditApi(backend: StoreBackend): void {
  describe(`GET /api/v1/audit (${backend})`, () => {
    let h: ApiHarness;
    let admin: string;

    beforeEach(async () => {
      h = await apiHarness(backend);
      admin = await h.bearer('boss', ['admin']);
      const changes = [
        { actor: 'boss', action: 'user.create', target: { type: 'user', id: 'ann' }, after: { id: 'ann', passwordHash: 'scrypt$secret' } },
        { actor: 'boss', action: 'user.disable', target: { type: 'user', id: 'ann' }, before: { disabled: false }, after: { disabled: true } },
        { actor: 'token:t1', action: 'token.create', target: { type: 'token', id: 't9' }, after: { name: 'x' } },
        { actor: 'cli', action: 'user.update', target: { type: 'user', id: 'bob' }, outcome: 'failure' as const },
      ];
      for (const [index, change] of changes.entries()) await recordAudit(h.cases, { ...change, at: T0 + index * 60_000 });
    });
    afterEach(async () => {
      await h.close();
    });

    const list = async (query: Record<string, string> = {}): Promise<Page> => {
      const response = await h.call(admin, { method: 'GET', url: '/api/v1/audit', query });
      expect(response.statusCode, JSON.stringify(query)).toBe(200);
      return response.json<Page>();
    };
    const actions = (page: Page) => page.items.map((entry) => entry.action);

    it('lists newest first with before and after, never a secret', async () => {
      const page = await list();
      expect(actions(page)).toEqual(['user.update', 'token.create', 'user.disable', 'user.create']);
      expect(page.total).toBe(4);
      expect(page.items[2]?.details).toEqual({ before: { disabled: false }, after: { disabled: true } });
      expect(JSON.stringify(page)).not.toContain('scrypt$');
      expect(actions(await list({ order: 'asc' }))[0]).toBe('user.create');
    });

    it('filters by actor, action (exact or prefix), target, outcome and time', async () => {
      expect(actions(await list({ actor: 'boss' }))).toEqual(['user.disable', 'user.create']);
      expect(actions(await list({ action: 'user.create' }))).toEqual(['user.create']);
      expect(actions(await list({ action: 'user.' }))).toEqual(['user.update', 'user.disable', 'user.create']);
      expect(actions(await list({ targetType: 'user', targetId: 'ann' }))).toEqual(['user.disable', 'user.create']);
      expect(actions(await list({ outcome: 'failure' }))).toEqual(['user.update']);
      expect(actions(await list({ from: '2030-03-01T10:01:00Z', to: '2030-03-01T10:03:00Z' }))).toEqual(['token.create', 'user.disable']);
      expect(actions(await list({ from: '2030-03-01 10:02' }))).toEqual(['user.update', 'token.create']);
    });

    it('pages with limit and cursor', async () => {
      const first = await list({ limit: '3' });
      expect(actions(first)).toEqual(['user.update', 'token.create', 'user.disable']);
      const second = await list({ limit: '3', cursor: first.nextCursor as string });
      expect(actions(second)).toEqual(['user.create']);
      expect(second.nextCursor).toBeUndefined();
    });

    it('answers 400 for bad parameters', async () => {
      for (const query of <Record<string, string>[]>[{ limit: '0' }, { limit: '501' }, { action: 'User Create' }, { from: 'yesterday' }, { from: '2030-03-02', to: '2030-03-01' }, { outcome: 'maybe' }]) {
        const response = await h.call(admin, { method: 'GET', url: '/api/v1/audit', query });
        expect(response.statusCode, JSON.stringify(query)).toBe(400);
      }
    });
  });
}
