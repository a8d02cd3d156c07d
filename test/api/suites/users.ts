import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../core/cases/types.js';
import { apiHarness, type ApiHarness } from '../harness.js';
import type { UserView } from '../../../api/routes/users/index.js';
import type { StoreBackend } from '../backends.js';

interface Page<T> {
  items: T[];
  total: number;
  nextCursor?: string;
}

/** The /api/v1/users API behaviours, on the case store of `backend` (see test/api/backends.ts). */
export function describeUsersApi(backend: StoreBackend): void {
  describe(`/api/v1/users (${backend})`, () => {
    let h: ApiHarness;
    let admin: string;

    beforeEach(async () => {
      h = await apiHarness(backend);
      admin = await h.bearer('boss', ['admin']);
    });
    afterEach(async () => {
      await h.close();
    });

    const create = (body: Record<string, unknown>) => h.call(admin, { method: 'POST', url: '/api/v1/users', payload: body });
    const audit = async (): Promise<AuditEntry[]> => (await h.cases.audit.list({ limit: 1000 })).items;

    it('creates a user with roles and a password, never returning or auditing the hash', async () => {
      const response = await create({ username: 'Alice', roles: ['analyst'], displayName: 'Alice A.', email: 'alice@example.org', password: 'correct horse battery' });
      expect(response.statusCode).toBe(201);
      const user = response.json<UserView>();
      expect(user).toMatchObject({ id: 'alice', username: 'Alice', roles: ['analyst'], disabled: false, hasPassword: true, displayName: 'Alice A.' });
      expect(response.body).not.toContain('scrypt$');
      expect(response.body).not.toContain('passwordHash');
      const stored = await h.cases.users.get('alice');
      expect(stored?.passwordHash).toMatch(/^scrypt\$/);

      const entries = await audit();
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ action: 'user.create', actor: expect.stringMatching(/^token:/), target: { type: 'user', id: 'alice' }, outcome: 'success' });
      expect(entries[0]?.details?.after).toMatchObject({ id: 'alice', roles: ['analyst'], hasPassword: true });
      expect(entries[0]?.details?.before).toBeUndefined();
      const text = JSON.stringify(entries);
      expect(text).not.toContain('scrypt$');
      expect(text).not.toContain('correct horse');
      expect(entries[0]?.id).toMatch(/^[0-9a-f]{32}$/);

      const got = await h.call(admin, { method: 'GET', url: '/api/v1/users/ALICE' });
      expect(got.statusCode).toBe(200);
      expect(got.json<UserView>().id).toBe('alice');
      expect(got.body).not.toContain('scrypt$');
    });

    it('refuses a taken username (any case), bad fields, a short password, and unknown users; ignores planted fields', async () => {
      expect((await create({ username: 'bob', roles: ['viewer'] })).statusCode).toBe(201);
      const taken = await create({ username: 'BOB', roles: ['viewer'] });
      expect(taken.statusCode).toBe(409);
      expect(taken.json()).toMatchObject({ code: 'WATCHPOST_ERR_STORE_CONFLICT' });
      for (const body of [
        { username: 'x', roles: [] },
        { username: 'x', roles: ['root'] },
        { username: 'x', roles: ['viewer', 'viewer'] },
        { username: 'has space', roles: ['viewer'] },
        { username: 'x'.repeat(65), roles: ['viewer'] },
      ]) {
        expect((await create(body)).statusCode, JSON.stringify(body)).toBe(400);
      }
      // Unknown keys are dropped by validation (Fastify's removeAdditional), so no hash can be planted.
      expect((await create({ username: 'mallory', roles: ['viewer'], passwordHash: 'scrypt$planted', disabled: true })).statusCode).toBe(201);
      expect(await h.cases.users.get('mallory')).toMatchObject({ disabled: false });
      expect((await h.cases.users.get('mallory'))?.passwordHash).toBeUndefined();
      const short = await create({ username: 'carol', roles: ['viewer'], password: 'short' });
      expect(short.statusCode).toBe(400);
      expect(short.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_PASSWORD_POLICY' });
      expect(await h.cases.users.get('carol')).toBeUndefined();
      const missing = await h.call(admin, { method: 'GET', url: '/api/v1/users/nobody' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ code: 'WATCHPOST_ERR_STORE_NOT_FOUND', message: 'no user nobody' });
    });

    it('lists users by role, state and prefix, in pages', async () => {
      for (const [username, roles] of [
        ['ann', ['viewer']],
        ['anton', ['analyst']],
        ['bert', ['analyst']],
        ['cleo', ['responder', 'analyst']],
      ] as const) {
        expect((await create({ username, roles })).statusCode).toBe(201);
      }
      await h.call(admin, { method: 'POST', url: '/api/v1/users/bert/disable' });
      const list = async (query: Record<string, string>) => (await h.call(admin, { method: 'GET', url: '/api/v1/users', query })).json<Page<UserView>>();
      const ids = (page: Page<UserView>) => page.items.map((user) => user.id);
      expect(ids(await list({ role: 'analyst' }))).toEqual(['anton', 'bert', 'cleo']);
      expect(ids(await list({ role: 'analyst', disabled: 'false' }))).toEqual(['anton', 'cleo']);
      expect(ids(await list({ disabled: 'true' }))).toEqual(['bert']);
      expect(ids(await list({ prefix: 'AN' }))).toEqual(['ann', 'anton']);
      const first = await list({ limit: '2' });
      expect(ids(first)).toEqual(['ann', 'anton']);
      expect(first.total).toBe(5);
      const second = await list({ limit: '2', cursor: first.nextCursor as string });
      expect(ids(second)).toEqual(['bert', 'boss']);
      expect((await h.call(admin, { method: 'GET', url: '/api/v1/users', query: { limit: '201' } })).statusCode).toBe(400);
    });

    it('changes roles and display name, auditing before and after', async () => {
      await create({ username: 'dana', roles: ['viewer'] });
      h.clock.advance(1000);
      const response = await h.call(admin, { method: 'PATCH', url: '/api/v1/users/dana', payload: { roles: ['responder'], displayName: 'Dana D.' } });
      expect(response.statusCode).toBe(200);
      const user = response.json<UserView>();
      expect(user).toMatchObject({ roles: ['responder'], displayName: 'Dana D.' });
      expect(user.updatedAt > user.createdAt).toBe(true);
      const update = (await audit()).find((entry) => entry.action === 'user.update');
      expect(update?.details).toMatchObject({ before: { roles: ['viewer'] }, after: { roles: ['responder'], displayName: 'Dana D.' } });
      expect((await h.call(admin, { method: 'PATCH', url: '/api/v1/users/dana', payload: {} })).statusCode).toBe(400);
      expect((await h.call(admin, { method: 'PATCH', url: '/api/v1/users/nobody', payload: { displayName: 'x' } })).statusCode).toBe(404);
    });

    it('disabling ends the user’s sessions and stops its tokens; enabling restores the user', async () => {
      await create({ username: 'eve', roles: ['analyst'] });
      const eve = await h.bearer('eve', ['analyst']);
      const at = new Date(h.clock.now()).toISOString();
      await h.cases.sessions.create({ id: 'a'.repeat(64), userId: 'eve', csrfHash: 'b'.repeat(64), createdAt: at, lastSeenAt: at, expiresAt: new Date(h.clock.now() + 3_600_000).toISOString() });
      await h.cases.sessions.create({ id: 'c'.repeat(64), userId: 'boss', csrfHash: 'b'.repeat(64), createdAt: at, lastSeenAt: at, expiresAt: new Date(h.clock.now() + 3_600_000).toISOString() });

      const disabled = await h.call(admin, { method: 'POST', url: '/api/v1/users/eve/disable' });
      expect(disabled.statusCode).toBe(200);
      expect(disabled.json<UserView>().disabled).toBe(true);
      expect(await h.cases.sessions.get('a'.repeat(64))).toBeUndefined();
      expect(await h.cases.sessions.get('c'.repeat(64))).toBeDefined();
      expect((await h.call(eve, { method: 'GET', url: '/api/v1/tokens' })).statusCode).toBe(401);

      expect((await h.call(admin, { method: 'POST', url: '/api/v1/users/eve/enable' })).json<UserView>().disabled).toBe(false);
      expect((await h.call(eve, { method: 'GET', url: '/api/v1/tokens' })).statusCode).toBe(200);
      expect((await audit()).map((entry) => entry.action)).toEqual(['user.create', 'user.disable', 'user.enable']);
    });

    it('never leaves the app without an enabled admin, and an admin cannot disable themself', async () => {
      const self = await h.call(admin, { method: 'POST', url: '/api/v1/users/boss/disable' });
      expect(self.statusCode).toBe(400);
      expect(self.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_USER' });
      const demote = await h.call(admin, { method: 'PATCH', url: '/api/v1/users/boss', payload: { roles: ['analyst'] } });
      expect(demote.statusCode).toBe(400);
      expect(demote.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_LAST_ADMIN' });
      expect((await h.cases.users.get('boss'))?.roles).toEqual(['admin']);

      await create({ username: 'frank', roles: ['admin'] });
      expect((await h.call(admin, { method: 'POST', url: '/api/v1/users/frank/disable' })).statusCode).toBe(200);
      expect((await h.call(admin, { method: 'PATCH', url: '/api/v1/users/boss', payload: { roles: ['analyst'] } })).statusCode).toBe(400);
      expect((await h.call(admin, { method: 'POST', url: '/api/v1/users/frank/enable' })).statusCode).toBe(200);
      expect((await h.call(admin, { method: 'PATCH', url: '/api/v1/users/boss', payload: { roles: ['analyst', 'admin'] } })).statusCode).toBe(200);
      expect((await h.call(admin, { method: 'PATCH', url: '/api/v1/users/boss', payload: { roles: ['analyst'] } })).statusCode).toBe(200);
    });
  });
}
