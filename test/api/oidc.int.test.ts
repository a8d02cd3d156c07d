import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import Provider from 'oidc-provider';
import type { CustomFetch } from 'openid-client';
import { buildApi } from '../../api/app.js';
import { OIDC_FLOW_COOKIE } from '../../api/routes/auth/oidc.js';
import { SESSION_COOKIE } from '../../api/plugins/session-auth.js';
import { createOidcClient } from '../../core/auth/oidc.js';
import { scryptHasher } from '../../core/auth/password.js';
import { createUser, disableUser } from '../../core/auth/users.js';
import { ManualClock } from '../../core/clock.js';
import { loadConfig } from '../../core/config/load.js';
import { silentLogger } from '../../core/log.js';
import { createMetricsRegistry } from '../../core/metrics.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';

/**
 * OIDC sign-in end to end against a real provider: oidc-provider listening on 127.0.0.1, driven
 * with plain HTTP through its development login and consent forms, and the Watchpost app through
 * inject(). The provider is real, so the ID token is really signed, PKCE really checked, and a
 * changed nonce comes back really signed into the token.
 */

const CLIENT_ID = 'watchpost';
const CLIENT_SECRET = 'a-test-client-secret-of-some-length-0123456789';
const REDIRECT_URI = 'http://watchpost.test/api/v1/auth/oidc/callback';
const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

/** The provider's accounts: the account id is the login typed into its form. */
const ACCOUNTS: Record<string, { preferred_username: string; name: string; email: string; groups: string[] }> = {
  alice: { preferred_username: 'alice', name: 'Alice Analyst', email: 'alice@example.test', groups: ['soc-analysts', 'staff'] },
  bob: { preferred_username: 'bob', name: 'Bob Marketing', email: 'bob@example.test', groups: ['marketing'] },
  carol: { preferred_username: 'carol', name: 'Carol', email: 'carol@example.test', groups: ['soc-analysts'] },
  dave: { preferred_username: 'dave', name: 'Dave Impostor', email: 'dave@example.test', groups: ['soc-admins'] },
  erin: { preferred_username: 'erin', name: 'Erin', email: 'erin@example.test', groups: ['soc-analysts'] },
};

let server: Server;
let issuer: string;
let db: SqliteDatabase;
let cases: SqliteCaseStore;
let app: FastifyInstance;
const clock = new ManualClock(Date.now());
/** When set, ID tokens coming back from the token endpoint are altered on the way (payload only). */
let tamper: ((payload: Record<string, unknown>) => void) | undefined;

const tamperingFetch: CustomFetch = async (url, options) => {
  const response = await fetch(url, options);
  if (tamper === undefined || !url.endsWith('/token')) return response;
  const body = (await response.json()) as Record<string, unknown>;
  const [header, payload, signature] = String(body.id_token).split('.');
  const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString('utf8')) as Record<string, unknown>;
  tamper(claims);
  body.id_token = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
  return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
};

beforeAll(async () => {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'groups'], email: ['email'] },
    findAccount(_context, id) {
      const account = ACCOUNTS[id];
      return Promise.resolve(account ? { accountId: id, claims: () => Promise.resolve({ sub: id, ...account }) } : undefined);
    },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['oidc-test-cookie-key'] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  });
  handler = provider.callback();

  db = openSqliteDatabase(':memory:');
  cases = new SqliteCaseStore(db);
  const config = loadConfig({
    text: [
      'auth:',
      '  oidc:',
      `    issuer: ${issuer}`,
      `    clientId: ${CLIENT_ID}`,
      `    redirectUri: ${REDIRECT_URI}`,
      '    groupRoles:',
      '      soc-analysts: analyst',
      '      soc-admins: admin',
    ].join('\n'),
    // The secret comes from the environment, as in production.
    env: { WATCHPOST_AUTH__OIDC__CLIENT_SECRET: CLIENT_SECRET },
  });
  const oidcConfig = config.auth.oidc;
  if (!oidcConfig) throw new Error('auth.oidc did not load');
  expect(oidcConfig.clientSecret).toBe(CLIENT_SECRET);
  app = await buildApi({
    config: config.api,
    logger: silentLogger(),
    version: '0.0.0-test',
    metrics: createMetricsRegistry({ role: 'api' }),
    health: { cases },
    cases,
    auth: config.auth,
    passwords: scryptHasher(TEST_SCRYPT),
    clock,
    oidc: createOidcClient({ config: oidcConfig, clock, logger: silentLogger(), fetch: tamperingFetch }),
  });
});

afterAll(async () => {
  await app?.close();
  db?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

/** A cookie jar for the provider (its interaction and session cookies), by name. */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, at).trim();
      const value = (pair ?? '').slice(at + 1).trim();
      if (/max-age=0|expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * Walks the provider from an authorization URL to the redirect back to Watchpost: follows its
 * redirects, posts its login form as `account` and its consent form. Returns the callback URL.
 */
async function throughProvider(authorizationUrl: string, account: string): Promise<URL> {
  const jar = new Jar();
  let next: { url: string; method: 'GET' | 'POST'; body?: URLSearchParams } = { url: authorizationUrl, method: 'GET' };
  for (let step = 0; step < 20; step++) {
    const response = await fetch(next.url, {
      method: next.method,
      redirect: 'manual',
      headers: { cookie: jar.header(), ...(next.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(next.body ? { body: next.body } : {}),
    });
    jar.take(response);
    const location = response.headers.get('location');
    if (location !== null) {
      const target = new URL(location, next.url);
      if (target.href.startsWith(REDIRECT_URI)) return target;
      next = { url: target.href, method: 'GET' };
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`provider answered ${response.status}: ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (action === undefined || prompt === undefined) throw new Error(`no form on the provider page: ${html.slice(0, 300)}`);
    const body = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      body.set('login', account);
      body.set('password', 'any');
    }
    next = { url: new URL(action.replace(/&amp;/g, '&'), next.url).href, method: 'POST', body };
  }
  throw new Error('the provider never redirected back');
}

function cookieOf(response: LightMyRequestResponse, name: string): string | undefined {
  return response.cookies.find((cookie) => cookie.name === name && cookie.value !== '')?.value;
}

/** Starts a sign-in at Watchpost: the provider URL and the flow cookie. */
async function startSignIn(): Promise<{ url: string; flow: string }> {
  const response = await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/login' });
  expect(response.statusCode).toBe(302);
  const flow = cookieOf(response, OIDC_FLOW_COOKIE);
  expect(flow).toBeDefined();
  return { url: response.headers.location as string, flow: flow as string };
}

function callback(url: URL, flow: string | undefined): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url: `${url.pathname}${url.search}`, ...(flow !== undefined ? { cookies: { [OIDC_FLOW_COOKIE]: flow } } : {}) });
}

/** The whole sign-in as `account`: the callback's answer. */
async function signIn(account: string): Promise<LightMyRequestResponse> {
  const { url, flow } = await startSignIn();
  return callback(await throughProvider(url, account), flow);
}

async function lastLoginAudit(): Promise<Record<string, unknown>> {
  const page = await cases.audit.list({ filter: { op: 'eq', field: 'action', value: 'auth.login', caseSensitive: true }, sort: 'id', order: 'desc', limit: 1 });
  return page.items[0] as unknown as Record<string, unknown>;
}

describe('OIDC sign-in against a real provider', () => {
  it('redirects to the provider with the code flow, PKCE S256, state and nonce, in a Lax HttpOnly cookie', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/login' });
    expect(response.statusCode).toBe(302);
    const location = new URL(response.headers.location as string);
    expect(location.origin).toBe(issuer);
    expect(location.searchParams.get('response_type')).toBe('code');
    expect(location.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(location.searchParams.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('state')).toBeTruthy();
    expect(location.searchParams.get('nonce')).toBeTruthy();
    expect(location.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['openid', 'profile', 'email']));
    const cookie = response.cookies.find((item) => item.name === OIDC_FLOW_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 600 });
    // Sealed: neither the state nor the verifier can be read from it.
    expect(cookie?.value).not.toContain(location.searchParams.get('state'));
  });

  it('signs a user in end to end: creates them with roles from their groups, starts a session with a CSRF token, audits', async () => {
    const response = await signIn('alice');
    expect(response.statusCode, response.body).toBe(302);
    expect(response.headers.location).toBe('/');
    const session = response.cookies.find((item) => item.name === SESSION_COOKIE);
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: { [SESSION_COOKIE]: session?.value as string } });
    expect(me.statusCode).toBe(200);
    const body = me.json<{ principal: string; roles: string[]; user: { username: string; displayName: string; email: string }; csrfToken: string }>();
    expect(body.principal).toBe('alice');
    expect(body.roles).toEqual(['analyst']);
    expect(body.user).toMatchObject({ username: 'alice', displayName: 'Alice Analyst', email: 'alice@example.test' });
    const stored = await cases.users.get('alice');
    expect(stored?.passwordHash).toBeUndefined();
    expect(stored?.oidcSubject).toBe(`${issuer} alice`);
    expect(await lastLoginAudit()).toMatchObject({ actor: 'alice', outcome: 'success', details: { method: 'oidc' } });
    // The CSRF token of the session works like a password session's: logout needs it.
    const cookies = { [SESSION_COOKIE]: session?.value as string };
    expect((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies })).statusCode).toBe(403);
    const logout = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies, headers: { 'x-csrf-token': body.csrfToken } });
    expect(logout.statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies })).statusCode).toBe(401);
  });

  it('updates the roles at the next sign-in when the groups changed at the provider', async () => {
    const before = ACCOUNTS.erin?.groups;
    expect((await signIn('erin')).statusCode).toBe(302);
    expect((await cases.users.get('erin'))?.roles).toEqual(['analyst']);
    (ACCOUNTS.erin as { groups: string[] }).groups = ['soc-admins'];
    try {
      expect((await signIn('erin')).statusCode).toBe(302);
      expect((await cases.users.get('erin'))?.roles).toEqual(['admin']);
      const updates = await cases.audit.list({ filter: { op: 'eq', field: 'action', value: 'user.update', caseSensitive: true }, limit: 10 });
      expect(updates.items.some((entry) => entry.target?.id === 'erin')).toBe(true);
    } finally {
      (ACCOUNTS.erin as { groups: string[] }).groups = before as string[];
    }
  });

  it('refuses a callback whose state is not the one of this browser (400) and one without the flow cookie', async () => {
    const { url, flow } = await startSignIn();
    const back = await throughProvider(url, 'alice');
    const forged = new URL(back);
    forged.searchParams.set('state', 'not-the-state-we-sent');
    const wrongState = await callback(forged, flow);
    expect(wrongState.statusCode).toBe(400);
    expect(wrongState.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_OIDC', message: expect.stringContaining('state') });
    expect(cookieOf(wrongState, SESSION_COOKIE)).toBeUndefined();
    expect(await lastLoginAudit()).toMatchObject({ outcome: 'failure', details: { method: 'oidc', reason: 'callback_refused' } });
    const noCookie = await callback(back, undefined);
    expect(noCookie.statusCode).toBe(400);
    expect(noCookie.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_OIDC' });
  });

  it('refuses a flow cookie past its 10 minutes', async () => {
    const { url, flow } = await startSignIn();
    const back = await throughProvider(url, 'alice');
    clock.advance(11 * 60_000);
    const response = await callback(back, flow);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_OIDC', message: expect.stringContaining('expired') });
  });

  it('refuses a user in no mapped group with 403 and a clear message, audited, and creates nobody', async () => {
    const response = await signIn('bob');
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_OIDC_DENIED', message: expect.stringContaining('auth.oidc.groupRoles') });
    expect(cookieOf(response, SESSION_COOKIE)).toBeUndefined();
    expect(await cases.users.get('bob')).toBeUndefined();
    expect(await lastLoginAudit()).toMatchObject({ actor: 'anonymous', outcome: 'failure', target: { id: 'bob' }, details: { reason: 'no_role', groups: ['marketing'] } });
  });

  it('refuses a disabled user with 403', async () => {
    expect((await signIn('carol')).statusCode).toBe(302);
    await disableUser(cases, 'carol', { actor: 'test', clock });
    const response = await signIn('carol');
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_OIDC_DENIED', message: expect.stringContaining('disabled') });
    expect(cookieOf(response, SESSION_COOKIE)).toBeUndefined();
    expect(await lastLoginAudit()).toMatchObject({ outcome: 'failure', details: { reason: 'disabled' } });
  });

  it('never hands a local account (one with a password) to a provider identity of the same name', async () => {
    await createUser(cases, scryptHasher(TEST_SCRYPT), { username: 'dave', roles: ['viewer'], password: 'a local password' }, { actor: 'test', clock });
    const response = await signIn('dave');
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_OIDC_DENIED' });
    expect((await cases.users.get('dave'))?.roles).toEqual(['viewer']);
  });

  it('refuses an ID token whose nonce is not the one sent (the provider signs the other nonce)', async () => {
    const { url, flow } = await startSignIn();
    const altered = new URL(url);
    altered.searchParams.set('nonce', 'a-nonce-this-browser-never-got');
    const response = await callback(await throughProvider(altered.href, 'alice'), flow);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_OIDC' });
    expect(cookieOf(response, SESSION_COOKIE)).toBeUndefined();
  });

  it('refuses an ID token altered on its way from the token endpoint (signature checked)', async () => {
    // A privilege escalation: another name and an admin group written into alice's token.
    tamper = (claims) => {
      claims.preferred_username = 'mallory';
      claims.groups = ['soc-admins'];
    };
    try {
      const response = await signIn('alice');
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'WATCHPOST_ERR_AUTH_OIDC' });
      expect(cookieOf(response, SESSION_COOKIE)).toBeUndefined();
      expect(await cases.users.get('mallory')).toBeUndefined();
    } finally {
      tamper = undefined;
    }
    // The same flow untampered goes through, so the refusal above was the tampering's.
    expect((await signIn('alice')).statusCode).toBe(302);
  });
});
