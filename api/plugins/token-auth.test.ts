import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import type { Role } from '../../core/cases/types.js';
import { ManualClock } from '../../core/clock.js';
import { hashSecret, randomId, randomSecret } from '../../core/ids.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { formatToken, parseBearerToken, tokenAuthenticator } from './token-auth.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');

function requestWith(authorization: string | undefined): FastifyRequest {
  return { headers: authorization === undefined ? {} : { authorization } } as FastifyRequest;
}

describe('parseBearerToken', () => {
  it('splits wp_<id>_<secret>, where the secret may itself contain underscores', () => {
    expect(parseBearerToken('Bearer wp_abc123_se_cr-et_0123456789abcdef')).toEqual({ id: 'abc123', secret: 'se_cr-et_0123456789abcdef' });
    expect(parseBearerToken('bearer wp_abc_0123456789abcdefXYZ')).toEqual({ id: 'abc', secret: '0123456789abcdefXYZ' });
  });

  it('refuses other schemes, other prefixes, short secrets and junk', () => {
    for (const header of [undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer abc', 'Bearer wp_abc_short', 'Bearer xx_abc_0123456789abcdef', 'Bearer wp__0123456789abcdef', 'Bearer wp_a b_0123456789abcdef']) {
      expect(parseBearerToken(header), String(header)).toBeUndefined();
    }
  });
});

describe('tokenAuthenticator', () => {
  let db: SqliteDatabase;
  let cases: SqliteCaseStore;
  let clock: ManualClock;

  beforeEach(() => {
    db = openSqliteDatabase(':memory:');
    cases = new SqliteCaseStore(db);
    clock = new ManualClock(T0);
  });
  afterEach(() => {
    db.close();
  });

  async function seed(options: { roles?: Role[]; userRoles?: Role[]; revoked?: boolean; expiresAt?: string; disabled?: boolean; noUser?: boolean; lastUsedAt?: string } = {}): Promise<{ id: string; bearer: string }> {
    const id = randomId();
    const secret = randomSecret();
    const userId = `svc-${id.slice(0, 8)}`;
    const now = new Date(T0).toISOString();
    if (options.noUser !== true) {
      await cases.users.create({ id: userId, username: userId, roles: options.userRoles ?? options.roles ?? ['ingest'], disabled: options.disabled ?? false, createdAt: now, updatedAt: now });
    }
    await cases.tokens.create({
      id,
      name: 'test',
      userId,
      secretHash: hashSecret(secret),
      roles: options.roles ?? ['ingest'],
      revoked: options.revoked ?? false,
      ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
      ...(options.lastUsedAt !== undefined ? { lastUsedAt: options.lastUsedAt } : {}),
      createdAt: now,
    });
    return { id, bearer: `Bearer ${formatToken(id, secret)}` };
  }

  it('authenticates a valid token as token:<id> with its roles', async () => {
    const { id, bearer } = await seed({ roles: ['ingest', 'viewer'] });
    const authenticate = tokenAuthenticator(cases, { clock });
    expect(await authenticate(requestWith(bearer))).toEqual({ id: `token:${id}`, roles: ['ingest', 'viewer'] });
  });

  it('refuses a missing header, a wrong secret, an unknown id, a revoked or expired token, and a missing or disabled user', async () => {
    const authenticate = tokenAuthenticator(cases, { clock });
    const good = await seed();
    expect(await authenticate(requestWith(undefined))).toBeUndefined();
    expect(await authenticate(requestWith(good.bearer.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))))).toBeUndefined();
    expect(await authenticate(requestWith(`Bearer ${formatToken(randomId(), randomSecret())}`))).toBeUndefined();
    expect(await authenticate(requestWith((await seed({ revoked: true })).bearer))).toBeUndefined();
    expect(await authenticate(requestWith((await seed({ expiresAt: new Date(T0 - 1).toISOString() })).bearer))).toBeUndefined();
    expect(await authenticate(requestWith((await seed({ expiresAt: 'not a date' })).bearer))).toBeUndefined();
    expect(await authenticate(requestWith((await seed({ disabled: true })).bearer))).toBeUndefined();
    expect(await authenticate(requestWith((await seed({ noUser: true })).bearer))).toBeUndefined();
    expect(await authenticate(requestWith(good.bearer))).toBeDefined();
  });

  it('never grants a role the token’s user no longer holds', async () => {
    const { id, bearer } = await seed({ roles: ['ingest', 'admin'], userRoles: ['ingest'] });
    expect(await tokenAuthenticator(cases, { clock })(requestWith(bearer))).toEqual({ id: `token:${id}`, roles: ['ingest'] });
  });

  it('reuses a positive lookup for the cache period, still checking the secret and the expiry, then reads the store again', async () => {
    // Used just now, so no background lastUsedAt write reads the store during the test.
    const { id, bearer } = await seed({ expiresAt: new Date(T0 + 20_000).toISOString(), lastUsedAt: new Date(T0).toISOString() });
    let reads = 0;
    const get = cases.tokens.get.bind(cases.tokens);
    cases.tokens.get = (tokenId: string) => {
      reads++;
      return get(tokenId);
    };
    const authenticate = tokenAuthenticator(cases, { clock, cacheTtlMs: 10_000 });
    expect(await authenticate(requestWith(bearer))).toBeDefined();
    expect(await authenticate(requestWith(bearer))).toBeDefined();
    expect(reads).toBe(1);
    expect(await authenticate(requestWith(`Bearer ${formatToken(id, randomSecret())}`))).toBeUndefined();
    expect(reads).toBe(1);

    // Revoked in the store: the cache may serve it until the entry ages out, not after.
    const stored = await cases.tokens.get(id);
    await cases.tokens.replace({ ...stored!, revoked: true });
    clock.advance(9_000);
    expect(await authenticate(requestWith(bearer))).toBeDefined();
    clock.advance(2_000);
    expect(await authenticate(requestWith(bearer))).toBeUndefined();
  });

  it('refuses a cached token once it expires', async () => {
    const { bearer } = await seed({ expiresAt: new Date(T0 + 5_000).toISOString() });
    const authenticate = tokenAuthenticator(cases, { clock, cacheTtlMs: 30_000 });
    expect(await authenticate(requestWith(bearer))).toBeDefined();
    clock.advance(5_000);
    expect(await authenticate(requestWith(bearer))).toBeUndefined();
  });

  it('caps the cache period at 30 s', async () => {
    const { id, bearer } = await seed();
    const authenticate = tokenAuthenticator(cases, { clock, cacheTtlMs: 3_600_000 });
    expect(await authenticate(requestWith(bearer))).toBeDefined();
    const stored = await cases.tokens.get(id);
    await cases.tokens.replace({ ...stored!, revoked: true });
    clock.advance(30_000);
    expect(await authenticate(requestWith(bearer))).toBeUndefined();
  });

  it('records lastUsedAt at most once a minute', async () => {
    const { id, bearer } = await seed();
    const authenticate = tokenAuthenticator(cases, { clock, cacheTtlMs: 1_000 });
    const lastUsed = async (): Promise<string | undefined> => {
      // The write runs in the background; give it a turn of the event loop.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return (await cases.tokens.get(id))?.lastUsedAt;
    };
    await authenticate(requestWith(bearer));
    expect(await lastUsed()).toBe(new Date(T0).toISOString());
    clock.advance(30_000);
    await authenticate(requestWith(bearer));
    expect(await lastUsed()).toBe(new Date(T0).toISOString());
    clock.advance(31_000);
    await authenticate(requestWith(bearer));
    expect(await lastUsed()).toBe(new Date(T0 + 61_000).toISOString());

    // A second authenticator (another process) also respects the stored time.
    const other = tokenAuthenticator(cases, { clock });
    clock.advance(1_000);
    await other(requestWith(bearer));
    expect(await lastUsed()).toBe(new Date(T0 + 61_000).toISOString());
  });
});
