import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { ManualClock } from '../clock.js';
import { hashSecret, randomId } from '../ids.js';
import { scryptHasher } from './password.js';
import { startSession } from './sessions.js';
import { createUser, disableUser, enableUser, ensureFirstAdmin, listUsers, setPassword, userIdOf } from './users.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const hasher = scryptHasher({ N: 2 ** 10, r: 8, p: 1 });
const POLICY = { idleTimeoutMs: 30 * 60_000, absoluteTimeoutMs: 12 * 3_600_000 };

describe('users', () => {
  let db: SqliteDatabase;
  let cases: SqliteCaseStore;
  let clock: ManualClock;
  const context = () => ({ actor: 'cli', clock });

  beforeEach(() => {
    db = openSqliteDatabase(':memory:');
    cases = new SqliteCaseStore(db);
    clock = new ManualClock(T0);
  });
  afterEach(() => {
    db.close();
  });

  it('validates usernames and lower-cases them into ids', () => {
    expect(userIdOf('Alice.Smith@corp')).toBe('alice.smith@corp');
    for (const bad of ['', '-x', 'a b', 'x'.repeat(65), 'system', 'CLI', 'a/b']) expect(() => userIdOf(bad), bad).toThrow();
  });

  it('creates a user with a given or generated password, audited without either', async () => {
    const given = await createUser(cases, hasher, { username: 'Alice', roles: ['analyst'], password: 'alice password 1' }, context());
    expect(given.user).toMatchObject({ id: 'alice', username: 'Alice', roles: ['analyst'], disabled: false, hasPassword: true });
    expect(given.generatedPassword).toBeUndefined();
    expect(given.user).not.toHaveProperty('passwordHash');
    const stored = await cases.users.get('alice');
    expect(await hasher.verify('alice password 1', stored?.passwordHash)).toBe(true);

    const generated = await createUser(cases, hasher, { username: 'bob', roles: ['viewer', 'viewer'] }, context());
    expect(generated.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(generated.user.roles).toEqual(['viewer']);
    expect(await hasher.verify(generated.generatedPassword as string, (await cases.users.get('bob'))?.passwordHash)).toBe(true);

    await expect(createUser(cases, hasher, { username: 'ALICE', roles: ['viewer'] }, context())).rejects.toThrow(/exists/);
    await expect(createUser(cases, hasher, { username: 'carol', roles: ['root'] }, context())).rejects.toThrow(/unknown role/);
    await expect(createUser(cases, hasher, { username: 'carol', roles: [] }, context())).rejects.toThrow(/at least one role/);

    const audit = (await cases.audit.list()).items;
    expect(audit.map((entry) => [entry.actor, entry.action, entry.target?.id])).toEqual([
      ['cli', 'user.create', 'alice'],
      ['cli', 'user.create', 'bob'],
    ]);
    expect(JSON.stringify(audit)).not.toContain('alice password 1');
    expect(JSON.stringify(audit)).not.toContain(generated.generatedPassword);
    expect(JSON.stringify(audit)).not.toContain('scrypt$');
    expect((await listUsers(cases)).map((user) => user.id)).toEqual(['alice', 'bob']);
  });

  it('disabling a user ends their sessions and revokes their tokens, not anyone else’s', async () => {
    await createUser(cases, hasher, { username: 'alice', roles: ['analyst'], password: 'alice password 1' }, context());
    await createUser(cases, hasher, { username: 'bob', roles: ['analyst'], password: 'bob password 12' }, context());
    await startSession(cases, { id: 'alice' }, { clock, policy: POLICY });
    await startSession(cases, { id: 'alice' }, { clock, policy: POLICY });
    const bobs = await startSession(cases, { id: 'bob' }, { clock, policy: POLICY });
    const at = new Date(T0).toISOString();
    for (const [id, userId] of [['t1', 'alice'], ['t2', 'alice'], ['t3', 'bob']] as const) {
      await cases.tokens.create({ id, name: id, userId, secretHash: hashSecret(randomId()), roles: ['viewer'], revoked: false, createdAt: at });
    }

    expect(await disableUser(cases, 'Alice', context())).toEqual({ changed: true, sessionsEnded: 2, tokensRevoked: 2 });
    expect((await cases.users.get('alice'))?.disabled).toBe(true);
    expect((await cases.sessions.list()).items.map((session) => session.id)).toEqual([bobs.session.id]);
    expect((await cases.tokens.get('t1'))?.revoked).toBe(true);
    expect((await cases.tokens.get('t3'))?.revoked).toBe(false);
    expect(await disableUser(cases, 'alice', context())).toEqual({ changed: false, sessionsEnded: 0, tokensRevoked: 0 });
    expect(await enableUser(cases, 'alice', context())).toEqual({ changed: true });
    await expect(disableUser(cases, 'nobody', context())).rejects.toThrow(/does not exist/);

    const disable = (await cases.audit.list()).items.find((entry) => entry.action === 'user.disable');
    expect(disable?.details).toMatchObject({ before: { disabled: false }, after: { disabled: true }, sessionsEnded: 2, tokensRevoked: 2 });
  });

  it('changing a password ends the user’s sessions', async () => {
    await createUser(cases, hasher, { username: 'alice', roles: ['analyst'], password: 'alice password 1' }, context());
    await startSession(cases, { id: 'alice' }, { clock, policy: POLICY });
    expect(await setPassword(cases, hasher, 'alice', 'a new password!', context())).toEqual({ sessionsEnded: 1 });
    const user = await cases.users.get('alice');
    expect(await hasher.verify('a new password!', user?.passwordHash)).toBe(true);
    expect(await hasher.verify('alice password 1', user?.passwordHash)).toBe(false);
    await expect(setPassword(cases, hasher, 'alice', 'short', context())).rejects.toThrow(/8 to 1024/);
    const entry = (await cases.audit.list()).items.find((item) => item.action === 'user.password');
    expect(entry).toMatchObject({ actor: 'cli', target: { type: 'user', id: 'alice' } });
    expect(JSON.stringify(entry)).not.toContain('a new password!');
  });

  it('creates the first admin once, only while nobody can sign in with a password', async () => {
    // A service user (an API token's) has no password and does not count.
    const at = new Date(T0).toISOString();
    await cases.users.create({ id: 'svc-agent', username: 'svc-agent', roles: ['ingest'], disabled: false, createdAt: at, updatedAt: at });
    const first = await ensureFirstAdmin(cases, hasher, clock);
    expect(first?.username).toBe('admin');
    const admin = await cases.users.get('admin');
    expect(admin?.roles).toEqual(['admin']);
    expect(await hasher.verify(first?.password as string, admin?.passwordHash)).toBe(true);
    expect(await ensureFirstAdmin(cases, hasher, clock)).toBeUndefined();
    const audit = (await cases.audit.list()).items;
    expect(audit.map((entry) => [entry.actor, entry.action, entry.target?.id])).toEqual([['system', 'user.create', 'admin']]);
    expect(JSON.stringify(audit)).not.toContain(first?.password);
  });

  it('creates no first admin when another user already has a password', async () => {
    await createUser(cases, hasher, { username: 'alice', roles: ['admin'], password: 'alice password 1' }, context());
    expect(await ensureFirstAdmin(cases, hasher, clock)).toBeUndefined();
    expect(await cases.users.get('admin')).toBeUndefined();
  });
});
