import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret, randomId } from '../../../core/ids.js';
import { parseBearerToken } from '../../../api/plugins/token-auth.js';
import { apiHarness, type ApiHarness } from '../harness.js';
import { MAX_ACTIVE_TOKENS_PER_USER, type TokenView } from '../../../api/routes/tokens/index.js';
import type { StoreBackend } from '../backends.js';

interface Created {
  token: TokenView;
  secret: string;
}
interface Page {
  items: TokenView[];
  total: number;
}

const DAY_MS = 86_400_000;

/** The /api/v1/tokens API behaviours, on the case store of `backend` (see test/api/backends.ts). */
export function describeTokensApi(backend: StoreBackend): void {
  describe(`/api/v1/tokens (${backend})`, () => {
    let h: ApiHarness;
    let admin: string;
    let analyst: string;

    beforeEach(async () => {
      h = await apiHarness(backend);
      admin = await h.bearer('boss', ['admin']);
      analyst = await h.bearer('ana', ['analyst', 'viewer']);
      await h.bearer('rob', ['responder']);
    });
    afterEach(async () => {
      await h.close();
    });

    const create = (authorization: string, payload: Record<string, unknown>) => h.call(authorization, { method: 'POST', url: '/api/v1/tokens', payload });

    it('creates a token whose secret is shown once, stored only as a hash, and works as a Bearer token', async () => {
      const response = await create(analyst, { name: 'my script', roles: ['viewer'], expiresInDays: 30 });
      expect(response.statusCode).toBe(201);
      expect(response.headers['cache-control']).toBe('no-store');
      const created = response.json<Created>();
      expect(created.token).toMatchObject({ name: 'my script', userId: 'ana', roles: ['viewer'], status: 'active', revoked: false });
      expect(created.token.expiresAt).toBe(new Date(h.clock.now() + 30 * DAY_MS).toISOString());
      expect(response.body).not.toContain('secretHash');
      const parsed = parseBearerToken(`Bearer ${created.secret}`);
      expect(parsed?.id).toBe(created.token.id);
      const stored = await h.cases.tokens.get(created.token.id);
      expect(stored?.secretHash).toBe(hashSecret(parsed?.secret as string));

      const bearer = `Bearer ${created.secret}`;
      // A viewer-only token may read events but not the token routes (analyst and above).
      expect((await h.call(bearer, { method: 'GET', url: '/api/v1/tokens' })).statusCode).toBe(403);
      expect((await h.call(bearer, { method: 'GET', url: '/api/v1/events' })).statusCode).not.toBe(401);

      const again = await h.call(analyst, { method: 'GET', url: `/api/v1/tokens/${created.token.id}` });
      expect(again.statusCode).toBe(200);
      expect(again.body).not.toContain(parsed?.secret as string);

      const entries = (await h.cases.audit.list()).items;
      expect(entries.map((entry) => entry.action)).toEqual(['token.create']);
      expect(entries[0]).toMatchObject({ target: { type: 'token', id: created.token.id }, details: { after: { name: 'my script', roles: ['viewer'] } } });
      const text = JSON.stringify(entries);
      expect(text).not.toContain(parsed?.secret as string);
      expect(text).not.toContain(stored?.secretHash as string);
    });

    it('keeps non-admins to their own tokens and their own roles', async () => {
      const escalate = await create(analyst, { name: 'x', roles: ['admin'] });
      expect(escalate.statusCode).toBe(403);
      expect(escalate.json()).toMatchObject({ error: 'forbidden' });
      expect((await create(analyst, { name: 'x', roles: ['viewer'], userId: 'rob' })).statusCode).toBe(403);
      expect((await h.call(analyst, { method: 'GET', url: '/api/v1/tokens', query: { userId: 'rob' } })).statusCode).toBe(403);

      // A narrow token of a wide user cannot mint a wider one.
      const narrow = await h.bearer('ana', ['analyst', 'viewer'], ['analyst']);
      expect((await create(narrow, { name: 'x', roles: ['viewer'] })).statusCode).toBe(403);

      const robs = (await create(admin, { name: 'rob script', roles: ['responder'], userId: 'rob' })).json<Created>();
      expect(robs.token.userId).toBe('rob');
      expect((await h.call(analyst, { method: 'GET', url: `/api/v1/tokens/${robs.token.id}` })).statusCode).toBe(404);
      expect((await h.call(analyst, { method: 'POST', url: `/api/v1/tokens/${robs.token.id}/revoke` })).statusCode).toBe(404);
      expect((await h.cases.tokens.get(robs.token.id))?.revoked).toBe(false);

      const own = (await h.call(analyst, { method: 'GET', url: '/api/v1/tokens' })).json<Page>();
      expect(new Set(own.items.map((token) => token.userId))).toEqual(new Set(['ana']));
      const all = (await h.call(admin, { method: 'GET', url: '/api/v1/tokens' })).json<Page>();
      expect(new Set(all.items.map((token) => token.userId))).toEqual(new Set(['ana', 'boss', 'rob']));
      const robOnly = (await h.call(admin, { method: 'GET', url: '/api/v1/tokens', query: { userId: 'rob' } })).json<Page>();
      expect(robOnly.items.map((token) => token.userId)).toEqual(['rob', 'rob']);
    });

    it('lets an admin mint tokens for others only within that user’s roles', async () => {
      await h.bearer('svc-agent', ['ingest']);
      const ingest = await create(admin, { name: 'web-01 agent', roles: ['ingest'], userId: 'svc-agent' });
      expect(ingest.statusCode).toBe(201);
      const ingestBearer = `Bearer ${ingest.json<Created>().secret}`;
      expect((await h.call(ingestBearer, { method: 'POST', url: '/api/v1/ingest', headers: { 'content-type': 'application/json' }, payload: '{}' })).statusCode).not.toBe(401);

      for (const [payload, message] of [
        [{ name: 'x', roles: ['admin'], userId: 'svc-agent' }, 'does not hold the role admin'],
        [{ name: 'x', roles: ['viewer'], userId: 'nobody' }, 'does not exist'],
      ] as const) {
        const refused = await create(admin, payload);
        expect(refused.statusCode).toBe(400);
        expect(refused.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_TOKEN', message: expect.stringContaining(message) });
      }
      const user = await h.cases.users.get('rob');
      await h.cases.users.replace({ ...user!, disabled: true });
      expect((await create(admin, { name: 'x', roles: ['responder'], userId: 'rob' })).json()).toMatchObject({ message: 'user rob is disabled' });
    });

    it('revokes (idempotently, audited once) and reports expiry; both stop the token', async () => {
      const created = (await create(analyst, { name: 'short-lived', roles: ['analyst'], expiresInDays: 1 })).json<Created>();
      const bearer = `Bearer ${created.secret}`;
      expect((await h.call(bearer, { method: 'GET', url: '/api/v1/tokens' })).statusCode).toBe(200);

      h.clock.advance(2 * DAY_MS);
      const listed = (await h.call(analyst, { method: 'GET', url: '/api/v1/tokens', query: { revoked: 'false' } })).json<Page>();
      expect(listed.items.find((token) => token.id === created.token.id)?.status).toBe('expired');
      expect((await h.call(bearer, { method: 'GET', url: '/api/v1/tokens' })).statusCode).toBe(401);

      const other = (await create(analyst, { name: 'to revoke', roles: ['analyst'] })).json<Created>();
      const otherBearer = `Bearer ${other.secret}`;
      expect((await h.call(otherBearer, { method: 'GET', url: '/api/v1/tokens' })).statusCode).toBe(200);
      for (let i = 0; i < 2; i++) {
        const revoked = await h.call(analyst, { method: 'POST', url: `/api/v1/tokens/${other.token.id}/revoke` });
        expect(revoked.statusCode).toBe(200);
        expect(revoked.json<TokenView>()).toMatchObject({ status: 'revoked', revoked: true });
      }
      // The authenticator may reuse a positive lookup for up to 30 s (token-auth.ts).
      h.clock.advance(31_000);
      expect((await h.call(otherBearer, { method: 'GET', url: '/api/v1/tokens' })).statusCode).toBe(401);
      const revocations = (await h.cases.audit.list()).items.filter((entry) => entry.action === 'token.revoke');
      expect(revocations).toHaveLength(1);
      expect(revocations[0]?.details).toMatchObject({ before: { revoked: false, status: 'active' }, after: { revoked: true, status: 'revoked' } });
    });

    it(`refuses more than ${MAX_ACTIVE_TOKENS_PER_USER} unrevoked tokens per user, and bad bodies`, async () => {
      const at = new Date(h.clock.now()).toISOString();
      // 'ana' already holds one token (the harness's); fill up to the cap.
      for (let i = 1; i < MAX_ACTIVE_TOKENS_PER_USER; i++) {
        await h.cases.tokens.create({ id: randomId(), name: `t${i}`, userId: 'ana', secretHash: hashSecret(String(i)), roles: ['viewer'], revoked: false, createdAt: at });
      }
      const refused = await create(analyst, { name: 'one too many', roles: ['viewer'] });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_TOKEN' });
      for (const payload of [{ roles: ['viewer'] }, { name: '', roles: ['viewer'] }, { name: 'x'.repeat(101), roles: ['viewer'] }, { name: 'x', roles: [] }, { name: 'x', roles: ['viewer'], expiresInDays: 0 }]) {
        expect((await create(admin, payload)).statusCode, JSON.stringify(payload)).toBe(400);
      }
    });
  });
}
