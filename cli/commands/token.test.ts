import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWatchpost, type CliResult } from '../../test/helpers/cli.js';
import type { FastifyRequest } from 'fastify';
import { tokenAuthenticator } from '../../api/plugins/token-auth.js';
import { hashSecret } from '../../core/ids.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { parseRoles, serviceUserId } from './token.js';


const watchpost = (args: string[]): Promise<CliResult> => runWatchpost(args);

const asRequest = (bearer: string) => ({ headers: { authorization: `Bearer ${bearer}` } }) as FastifyRequest;

describe('token helpers', () => {
  it('parses role lists and refuses unknown roles', () => {
    expect(parseRoles('ingest, viewer,ingest')).toEqual(['ingest', 'viewer']);
    expect(() => parseRoles('ingest,root')).toThrow(/unknown role "root"/);
    expect(() => parseRoles(' , ')).toThrow(/at least one role/);
  });

  it('names service users after the token name', () => {
    expect(serviceUserId('Web-01 Agent!')).toBe('svc-web-01-agent');
    expect(serviceUserId('***')).toBeUndefined();
  });
});

describe('watchpost token', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wp-token-'));
  const dbFile = join(dataDir, 'watchpost.db');
  let db: SqliteDatabase | undefined;

  beforeAll(async () => {
    // The first run compiles dist/; later runs reuse it.
    await watchpost(['--version']);
  }, 180_000);

  afterAll(() => {
    if (db?.open) db.close();
  });

  function cases(): SqliteCaseStore {
    db ??= openSqliteDatabase(dbFile);
    return new SqliteCaseStore(db);
  }

  it('creates, lists and revokes a token, printing the secret once and storing only its hash', async () => {
    const created = await watchpost(['token', 'create', '--data-dir', dataDir, '--name', 'web-01 agent', '--roles', 'ingest', '--expires-days', '30']);
    expect(created.stderr).toContain('created service user svc-web-01-agent with roles ingest');
    expect(created.code).toBe(0);
    const match = /^wp_([0-9a-f]{32})_([A-Za-z0-9_-]{43})\n$/.exec(created.stdout);
    expect(match, created.stdout).not.toBeNull();
    const [bearer, id, secret] = [created.stdout.trim(), match![1]!, match![2]!];

    const store = cases();
    const token = await store.tokens.get(id);
    expect(token).toMatchObject({ id, name: 'web-01 agent', userId: 'svc-web-01-agent', roles: ['ingest'], revoked: false, secretHash: hashSecret(secret) });
    expect(Date.parse(token!.expiresAt!) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(await store.users.get('svc-web-01-agent')).toMatchObject({ roles: ['ingest'], disabled: false });
    expect(await tokenAuthenticator(store)(asRequest(bearer))).toEqual({ id: `token:${id}`, roles: ['ingest'] });
    // The secret is nowhere on disk.
    for (const file of [dbFile, `${dbFile}-wal`]) {
      if (existsSync(file)) expect(readFileSync(file).includes(secret), file).toBe(false);
    }

    const listed = await watchpost(['token', 'list', '--data-dir', dataDir, '--json']);
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id, name: 'web-01 agent', userId: 'svc-web-01-agent', roles: ['ingest'], status: 'active' });
    expect(rows[0]).not.toHaveProperty('secretHash');
    expect(listed.stdout).not.toContain(secret);
    const table = await watchpost(['token', 'list', '--data-dir', dataDir]);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+USER\s+ROLES\s+STATUS/);
    expect(table.stdout).toContain(id);

    const revoked = await watchpost(['token', 'revoke', id, '--data-dir', dataDir]);
    expect(revoked.code).toBe(0);
    expect(revoked.stderr).toContain(`revoked token ${id}`);
    expect((await store.tokens.get(id))?.revoked).toBe(true);
    expect(await tokenAuthenticator(store)(asRequest(bearer))).toBeUndefined();
    expect((await watchpost(['token', 'list', '--data-dir', dataDir, '--json'])).stdout).toContain('"status":"revoked"');
    const again = await watchpost(['token', 'revoke', id, '--data-dir', dataDir]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already revoked');

    const audit = (await store.audit.list()).items.map((entry) => [entry.actor, entry.action, entry.target?.id]);
    expect(audit).toEqual([
      ['cli', 'user.create', 'svc-web-01-agent'],
      ['cli', 'token.create', id],
      ['cli', 'token.revoke', id],
    ]);
    expect(JSON.stringify((await store.audit.list()).items)).not.toContain(secret);
  });

  it('issues a token for an existing user only with roles that user holds', async () => {
    const store = cases();
    const now = new Date().toISOString();
    await store.users.create({ id: 'alice', username: 'Alice', roles: ['analyst', 'viewer'], disabled: false, createdAt: now, updatedAt: now });
    const ok = await watchpost(['token', 'create', '--data-dir', dataDir, '--user', 'Alice', '--name', 'alice script', '--roles', 'viewer']);
    expect(ok.code).toBe(0);
    const [, id] = /^wp_([0-9a-f]{32})_/.exec(ok.stdout)!;
    expect(await store.tokens.get(id!)).toMatchObject({ userId: 'alice', roles: ['viewer'] });

    const tooMuch = await watchpost(['token', 'create', '--data-dir', dataDir, '--user', 'alice', '--name', 'x', '--roles', 'ingest']);
    expect(tooMuch.code).toBe(1);
    expect(tooMuch.stderr).toContain('user "alice" does not hold the role ingest');
    expect(tooMuch.stdout).toBe('');

    const nobody = await watchpost(['token', 'create', '--data-dir', dataDir, '--user', 'mallory', '--name', 'x', '--roles', 'viewer']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('user "mallory" does not exist');

    // The service user of an earlier token keeps its roles: a token cannot widen them.
    const widened = await watchpost(['token', 'create', '--data-dir', dataDir, '--name', 'web-01 agent', '--roles', 'ingest,admin']);
    expect(widened.code).toBe(1);
    expect(widened.stderr).toContain('user "svc-web-01-agent" does not hold the role admin');
  });

  it('refuses unknown roles, a missing name and an unknown token id', async () => {
    const badRole = await watchpost(['token', 'create', '--data-dir', dataDir, '--name', 'x', '--roles', 'root']);
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain('unknown role "root"');
    const noName = await watchpost(['token', 'create', '--data-dir', dataDir, '--roles', 'ingest']);
    expect(noName.code).toBe(1);
    expect(noName.stderr).toContain('--name');
    const unknown = await watchpost(['token', 'revoke', '0123456789abcdef0123456789abcdef', '--data-dir', dataDir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('WATCHPOST_ERR_STORE_NOT_FOUND');
  });
});
