import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { openSqliteDatabase, type SqliteDatabase } from '../../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../../backends/sqlite/case-store.js';
import { SqliteEventStore } from '../../../backends/sqlite/event-store.js';
import { SqliteJobQueue } from '../../../backends/sqlite/job-queue.js';
import { scryptHasher } from '../../../core/auth/password.js';
import { createUser, disableUser } from '../../../core/auth/users.js';
import { ManualClock } from '../../../core/clock.js';
import { loadConfig } from '../../../core/config/load.js';
import { hashSecret, randomSecret } from '../../../core/ids.js';
import { createLogger } from '../../../core/log.js';
import { createMetricsRegistry } from '../../../core/metrics.js';
import { buildApi } from '../../app.js';
import { requireRole } from '../../plugins/require-role.js';
import { formatToken } from '../../plugins/token-auth.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const MIN = 60_000;
const hasher = scryptHasher({ N: 2 ** 10, r: 8, p: 1 });
const ALICE_PASSWORD = 'alice-correct-horse';

interface Built {
  readonly app: FastifyInstance;
  readonly cases: SqliteCaseStore;
  readonly clock: ManualClock;
  readonly logs: string[];
}

function cookieOf(response: LightMyRequestResponse): { name: string; value: string; httpOnly?: boolean; sameSite?: string; secure?: boolean; path?: string } {
  const cookie = response.cookies[0] as { name: string; value: string; httpOnly?: boolean; sameSite?: string; secure?: boolean; path?: string } | undefined;
  expect(cookie, 'a Set-Cookie').toBeDefined();
  return cookie!;
}

describe('auth routes', () => {
  let db: SqliteDatabase;
  let queue: SqliteJobQueue;
  let app: FastifyInstance | undefined;

  beforeEach(() => {
    db = openSqliteDatabase(':memory:');
    queue = new SqliteJobQueue(db);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await queue.close();
    db.close();
  });

  async function build(auth: Record<string, unknown> = {}): Promise<Built> {
    const cases = new SqliteCaseStore(db);
    const clock = new ManualClock(T0);
    const logs: string[] = [];
    const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void logs.push(line) } });
    const config = loadConfig({ env: {}, overrides: [{ path: ['auth'], value: auth }] });
    app = await buildApi({
      config: config.api,
      auth: config.auth,
      logger,
      version: '9.9.9',
      metrics: createMetricsRegistry({ role: 'api' }),
      health: { events: new SqliteEventStore(db), cases, queue },
      cases,
      passwords: hasher,
      clock,
    });
    // A state-changing route any role may use, to see CSRF apply beyond the auth routes.
    app.post('/api/v1/test/echo', { config: { roles: ['viewer', 'ingest'] }, onRequest: requireRole('viewer', 'ingest') }, async (request) => ({ principal: request.principal?.id }));
    await createUser(cases, hasher, { username: 'alice', roles: ['analyst'], password: ALICE_PASSWORD }, { actor: 'cli', clock });
    return { app, cases, clock, logs };
  }

  const login = (api: FastifyInstance, username: string, password: string, extra: Partial<InjectOptions> = {}) =>
    api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, ...extra });

  const withCookie = (cookie: { name: string; value: string }, extra: Partial<InjectOptions> = {}): Partial<InjectOptions> => ({
    ...extra,
    cookies: { [cookie.name]: cookie.value },
  });

  it('signs in: a fresh httpOnly SameSite=Strict cookie, the user, roles and a CSRF token; the store keeps only the hash', async () => {
    const { app: api, cases } = await build();
    const response = await login(api, 'Alice', ALICE_PASSWORD, { headers: { 'user-agent': 'vitest' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json<{ user: Record<string, unknown>; roles: string[]; csrfToken: string }>();
    expect(body.user).toMatchObject({ id: 'alice', username: 'alice', roles: ['analyst'] });
    expect(body.user).not.toHaveProperty('passwordHash');
    expect(body.roles).toEqual(['analyst']);
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const cookie = cookieOf(response);
    expect(cookie).toMatchObject({ name: 'wp_session', httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie.secure).toBeFalsy();
    expect(String(response.headers['set-cookie'])).not.toMatch(/Max-Age|Expires|Domain/i);
    const sessions = (await cases.sessions.list()).items;
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ id: hashSecret(cookie.value), userId: 'alice', csrfHash: hashSecret(body.csrfToken), userAgent: 'vitest' });
    expect(JSON.stringify(sessions)).not.toContain(cookie.value);
    expect((await cases.users.get('alice'))?.lastLoginAt).toBe(new Date(T0).toISOString());

    const me = await api.inject({ method: 'GET', url: '/api/v1/auth/me', ...withCookie(cookie) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ principal: 'alice', roles: ['analyst'], csrfToken: body.csrfToken, user: { id: 'alice' } });

    const audit = (await cases.audit.list()).items.filter((entry) => entry.action === 'auth.login');
    expect(audit).toMatchObject([{ actor: 'alice', outcome: 'success', target: { type: 'user', id: 'alice' } }]);
  });

  it('over HTTPS the cookie is Secure with the __Host- prefix and responses carry HSTS; over HTTP there is no HSTS', async () => {
    const plain = await build();
    const overHttp = await login(plain.app, 'alice', ALICE_PASSWORD);
    expect(overHttp.headers['strict-transport-security']).toBeUndefined();
    await plain.app.close();
    db.close();
    db = openSqliteDatabase(':memory:');
    queue = new SqliteJobQueue(db);

    const { app: api } = await build({ secureTransport: true });
    const response = await login(api, 'alice', ALICE_PASSWORD);
    expect(response.statusCode).toBe(200);
    expect(cookieOf(response)).toMatchObject({ name: '__Host-wp_session', secure: true, httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    const me = await api.inject({ method: 'GET', url: '/api/v1/auth/me', ...withCookie(cookieOf(response)) });
    expect(me.statusCode).toBe(200);
    expect(me.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('answers every failure alike: wrong password, unknown user, disabled user', async () => {
    const { app: api, cases, clock } = await build();
    await createUser(cases, hasher, { username: 'dora', roles: ['viewer'], password: 'dora password 1' }, { actor: 'cli', clock });
    await disableUser(cases, 'dora', { actor: 'cli', clock });
    const answers = [await login(api, 'alice', 'wrong password'), await login(api, 'mallory', 'whatever pass'), await login(api, 'dora', 'dora password 1')];
    for (const answer of answers) {
      expect(answer.statusCode).toBe(401);
      expect(answer.json()).toEqual({ error: 'unauthorized', code: 'WATCHPOST_ERR_AUTH_FAILED', message: 'invalid username or password' });
      expect(answer.headers['set-cookie']).toBeUndefined();
    }
    const failures = (await cases.audit.list()).items.filter((entry) => entry.action === 'auth.login');
    expect(failures.map((entry) => [entry.outcome, entry.target?.id, entry.details?.reason])).toEqual([
      ['failure', 'alice', 'bad_password'],
      ['failure', 'mallory', 'unknown_user'],
      ['failure', 'dora', 'disabled'],
    ]);
    expect(await cases.sessions.list()).toMatchObject({ total: 0 });
  });

  it('locks a username after 5 failures, even with the right password, and unlocks it after 15 minutes; unknown names lock alike', async () => {
    const { app: api, cases, clock } = await build();
    for (let i = 0; i < 5; i++) expect((await login(api, 'alice', `wrong password ${i}`)).statusCode).toBe(401);
    const locked = await login(api, 'alice', ALICE_PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_LOCKED' });
    expect(locked.headers['retry-after']).toBe('900');
    // Another user from the same address is not locked by alice's lockout.
    await createUser(cases, hasher, { username: 'bob', roles: ['viewer'], password: 'bob password 12' }, { actor: 'cli', clock });
    expect((await login(api, 'bob', 'bob password 12')).statusCode).toBe(200);

    clock.advance(14 * MIN);
    expect((await login(api, 'alice', ALICE_PASSWORD)).statusCode).toBe(429);
    clock.advance(1 * MIN);
    expect((await login(api, 'alice', ALICE_PASSWORD)).statusCode).toBe(200);

    for (let i = 0; i < 5; i++) expect((await login(api, 'nobody-here', `guess number ${i}`, { remoteAddress: '192.0.2.50' })).statusCode).toBe(401);
    expect((await login(api, 'nobody-here', 'guess number 6', { remoteAddress: '192.0.2.51' })).statusCode).toBe(429);

    const lockouts = (await cases.audit.list()).items.filter((entry) => entry.action === 'auth.lockout');
    expect(lockouts.map((entry) => entry.target)).toEqual([
      { type: 'user', id: 'alice' },
      { type: 'user', id: 'nobody-here' },
    ]);
  });

  it('doubles the lockout on a repeat', async () => {
    const { app: api, clock } = await build();
    for (let i = 0; i < 5; i++) await login(api, 'alice', `wrong password ${i}`);
    clock.advance(15 * MIN);
    for (let i = 0; i < 5; i++) await login(api, 'alice', `wrong password ${i}`);
    const locked = await login(api, 'alice', ALICE_PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('1800');
  });

  it('locks a client address after 20 failures across usernames, and only that address', async () => {
    const { app: api } = await build();
    for (let i = 0; i < 20; i++) expect((await login(api, `user-${i}`, 'sprayed password', { remoteAddress: '198.51.100.7' })).statusCode).toBe(401);
    expect((await login(api, 'alice', ALICE_PASSWORD, { remoteAddress: '198.51.100.7' })).statusCode).toBe(429);
    expect((await login(api, 'alice', ALICE_PASSWORD, { remoteAddress: '198.51.100.8' })).statusCode).toBe(200);
  });

  it('ends a session after 30 idle minutes, while activity keeps it alive', async () => {
    const { app: api, clock } = await build();
    const cookie = cookieOf(await login(api, 'alice', ALICE_PASSWORD));
    const me = () => api.inject({ method: 'GET', url: '/api/v1/auth/me', ...withCookie(cookie) });
    for (let i = 0; i < 4; i++) {
      clock.advance(25 * MIN);
      expect((await me()).statusCode, `after ${(i + 1) * 25} active minutes`).toBe(200);
    }
    clock.advance(30 * MIN);
    expect((await me()).statusCode).toBe(401);
    clock.advance(-1 * MIN);
    // Deleted, not merely refused: turning the clock back does not revive it.
    expect((await me()).statusCode).toBe(401);
  });

  it('ends a session 12 hours after sign-in however active', async () => {
    const { app: api, cases, clock } = await build();
    const cookie = cookieOf(await login(api, 'alice', ALICE_PASSWORD));
    const me = () => api.inject({ method: 'GET', url: '/api/v1/auth/me', ...withCookie(cookie) });
    for (let minutes = 20; minutes < 12 * 60; minutes += 20) {
      clock.set(T0 + minutes * MIN);
      expect((await me()).statusCode, `at ${minutes} minutes`).toBe(200);
    }
    clock.set(T0 + 12 * 60 * MIN);
    expect((await me()).statusCode).toBe(401);
    expect((await cases.sessions.list()).total).toBe(0);
  });

  it('logs out: the session ends, the cookie is cleared, and the old cookie no longer works', async () => {
    const { app: api, cases } = await build();
    const response = await login(api, 'alice', ALICE_PASSWORD);
    const cookie = cookieOf(response);
    const csrf = response.json<{ csrfToken: string }>().csrfToken;
    const noToken = await api.inject({ method: 'POST', url: '/api/v1/auth/logout', ...withCookie(cookie) });
    expect(noToken.statusCode).toBe(403);
    const out = await api.inject({ method: 'POST', url: '/api/v1/auth/logout', ...withCookie(cookie, { headers: { 'x-csrf-token': csrf } }) });
    expect(out.statusCode).toBe(204);
    const cleared = cookieOf(out);
    expect(cleared.name).toBe('wp_session');
    expect(cleared.value).toBe('');
    expect((await cases.sessions.list()).total).toBe(0);
    expect((await api.inject({ method: 'GET', url: '/api/v1/auth/me', ...withCookie(cookie) })).statusCode).toBe(401);
    expect((await cases.audit.list()).items.some((entry) => entry.action === 'auth.logout' && entry.actor === 'alice')).toBe(true);
  });

  it('a new sign-in replaces the session the request carried', async () => {
    const { app: api, cases } = await build();
    const first = cookieOf(await login(api, 'alice', ALICE_PASSWORD));
    const second = cookieOf(await login(api, 'alice', ALICE_PASSWORD, withCookie(first)));
    expect(second.value).not.toBe(first.value);
    expect((await cases.sessions.list()).items.map((session) => session.id)).toEqual([hashSecret(second.value)]);
  });

  it('stops the sessions of a disabled user at once', async () => {
    const { app: api, cases, clock } = await build();
    const cookie = cookieOf(await login(api, 'alice', ALICE_PASSWORD));
    expect((await api.inject({ method: 'GET', url: '/api/v1/auth/me', ...withCookie(cookie) })).statusCode).toBe(200);
    // Disabled behind the session's back, without ending its sessions: the flag alone must stop it.
    const user = await cases.users.get('alice');
    await cases.users.replace({ ...user!, disabled: true });
    expect((await api.inject({ method: 'GET', url: '/api/v1/auth/me', ...withCookie(cookie) })).statusCode).toBe(401);

    await cases.users.replace({ ...(await cases.users.get('alice'))!, disabled: false });
    const again = cookieOf(await login(api, 'alice', ALICE_PASSWORD));
    await disableUser(cases, 'alice', { actor: 'cli', clock });
    expect((await api.inject({ method: 'GET', url: '/api/v1/auth/me', ...withCookie(again) })).statusCode).toBe(401);
  });

  it('requires the CSRF token on unsafe methods with a cookie, never with a Bearer token, and not on GET', async () => {
    const { app: api, cases } = await build();
    const response = await login(api, 'alice', ALICE_PASSWORD);
    const cookie = cookieOf(response);
    const csrf = response.json<{ csrfToken: string }>().csrfToken;
    const echo = (extra: Partial<InjectOptions>) => api.inject({ method: 'POST', url: '/api/v1/test/echo', payload: {}, ...extra });

    const missing = await echo(withCookie(cookie));
    expect(missing.statusCode).toBe(403);
    expect(missing.json()).toEqual({ error: 'forbidden', code: 'WATCHPOST_ERR_AUTH_CSRF', message: 'missing or invalid CSRF token' });
    expect((await echo(withCookie(cookie, { headers: { 'x-csrf-token': randomSecret() } }))).statusCode).toBe(403);
    expect((await echo(withCookie(cookie, { headers: { 'x-csrf-token': `${csrf}x` } }))).statusCode).toBe(403);
    const ok = await echo(withCookie(cookie, { headers: { 'x-csrf-token': csrf } }));
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ principal: 'alice' });
    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
      expect((await api.inject({ method, url: '/api/v1/auth/me', ...withCookie(cookie) })).statusCode, method).toBe(403);
    }
    expect((await api.inject({ method: 'GET', url: '/api/v1/auth/me', ...withCookie(cookie) })).statusCode).toBe(200);

    const secret = randomSecret();
    const at = new Date(T0).toISOString();
    await cases.tokens.create({ id: 'tok1', name: 'script', userId: 'alice', secretHash: hashSecret(secret), roles: ['analyst'], revoked: false, createdAt: at });
    const bearer = await echo({ headers: { authorization: `Bearer ${formatToken('tok1', secret)}` } });
    expect(bearer.statusCode).toBe(200);
    expect(bearer.json()).toEqual({ principal: 'token:tok1' });
    // A bad Bearer header is not rescued by the cookie.
    expect((await echo(withCookie(cookie, { headers: { authorization: 'Bearer wp_nope_0123456789abcdefXYZ', 'x-csrf-token': csrf } }))).statusCode).toBe(401);
  });

  it('refuses a login body that is not JSON, so a cross-site form cannot sign anyone in', async () => {
    const { app: api } = await build();
    const form = await api.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `username=alice&password=${ALICE_PASSWORD}`,
    });
    expect(form.statusCode).toBe(415);
    expect((await api.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'alice' } })).statusCode).toBe(400);
  });

  it('puts the security headers on every response: 200, 401, 404 and the public ones', async () => {
    const { app: api } = await build();
    const cookie = cookieOf(await login(api, 'alice', ALICE_PASSWORD));
    const responses = [
      await api.inject({ method: 'GET', url: '/api/v1/auth/me', ...withCookie(cookie) }),
      await api.inject({ method: 'GET', url: '/api/v1/auth/me' }),
      await api.inject({ method: 'GET', url: '/api/v1/nothing-here', ...withCookie(cookie) }),
      await api.inject({ method: 'GET', url: '/api/health' }),
    ];
    expect(responses.map((response) => response.statusCode)).toEqual([200, 401, 404, 200]);
    for (const response of responses) {
      const csp = String(response.headers['content-security-policy']);
      for (const directive of ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "script-src 'self'"]) {
        expect(csp, `${response.statusCode}`).toContain(directive);
      }
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('never writes a password, session secret or CSRF token to the log', async () => {
    const { app: api, logs } = await build();
    const good = await login(api, 'alice', ALICE_PASSWORD);
    const cookie = cookieOf(good);
    const csrf = good.json<{ csrfToken: string }>().csrfToken;
    for (let i = 0; i < 6; i++) await login(api, 'alice', `Wrong-Secret-${i}`);
    await api.inject({ method: 'POST', url: '/api/v1/test/echo', payload: {}, ...withCookie(cookie) });
    await api.inject({ method: 'POST', url: '/api/v1/auth/logout', ...withCookie(cookie, { headers: { 'x-csrf-token': csrf } }) });
    const text = logs.join('');
    // The capture works: the refusals and the lockout were logged.
    expect(text).toContain('sign-in refused');
    expect(text).toContain('locked out');
    for (const secret of [ALICE_PASSWORD, 'Wrong-Secret-', cookie.value, csrf]) expect(text, secret).not.toContain(secret);
  });
});
