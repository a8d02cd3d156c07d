import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BIN, runWatchpost, type CliResult } from '../../test/helpers/cli.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { scryptHasher } from '../../core/auth/password.js';
import { startSession } from '../../core/auth/sessions.js';
import { SYSTEM_CLOCK } from '../../core/clock.js';
import { loadConfig } from '../../core/config/load.js';
import { hashSecret } from '../../core/ids.js';
import { createLogger } from '../../core/log.js';
import { startRoles } from '../roles.js';
import { readPasswordFromStdin } from './user.js';

/** Runs `bin/watchpost <args>` with `input` on stdin. */
function watchpost(args: string[], input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('readPasswordFromStdin', () => {
  it('drops one trailing newline and nothing else', async () => {
    expect(await readPasswordFromStdin(Readable.from([Buffer.from('  pass word \r\n')]))).toBe('  pass word ');
    expect(await readPasswordFromStdin(Readable.from([Buffer.from('pass\n\n')]))).toBe('pass\n');
  });

  it('refuses more than 8 KiB', async () => {
    await expect(readPasswordFromStdin(Readable.from([Buffer.alloc(9000, 'a')]))).rejects.toThrow(/longer than 8192 bytes/);
  });
});

describe('watchpost user', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wp-user-'));
  const dbFile = join(dataDir, 'watchpost.db');
  let db: SqliteDatabase | undefined;
  const hasher = scryptHasher();

  beforeAll(async () => {
    // The first run compiles dist/; later runs reuse it.
    await runWatchpost(['--version']);
  }, 180_000);

  afterAll(() => {
    if (db?.open) db.close();
  });

  function cases(): SqliteCaseStore {
    db ??= openSqliteDatabase(dbFile);
    return new SqliteCaseStore(db);
  }

  it('adds users with a piped or a generated password, lists them, changes a password and disables a user', async () => {
    const added = await watchpost(['user', 'add', 'Alice', '--role', 'analyst', '--role', 'viewer', '--password-stdin', '--data-dir', dataDir], 'alice secret pass\n');
    expect(added.stderr).toContain('created user alice with roles analyst,viewer');
    expect(added.code).toBe(0);
    expect(added.stdout).toBe('');
    const store = cases();
    const alice = await store.users.get('alice');
    expect(alice).toMatchObject({ username: 'Alice', roles: ['analyst', 'viewer'], disabled: false });
    expect(alice?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await hasher.verify('alice secret pass', alice?.passwordHash)).toBe(true);

    const generated = await watchpost(['user', 'add', 'bob', '--role', 'responder', '--data-dir', dataDir]);
    expect(generated.code).toBe(0);
    const match = /^([A-Za-z0-9_-]{24})\n$/.exec(generated.stdout);
    expect(match, generated.stdout).not.toBeNull();
    const bobPassword = match![1]!;
    expect(await hasher.verify(bobPassword, (await store.users.get('bob'))?.passwordHash)).toBe(true);

    const taken = await watchpost(['user', 'add', 'ALICE', '--role', 'viewer', '--data-dir', dataDir]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('user "alice" exists');
    expect(taken.stdout).toBe('');
    const short = await watchpost(['user', 'add', 'carol', '--role', 'viewer', '--password-stdin', '--data-dir', dataDir], 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('WATCHPOST_ERR_AUTH_PASSWORD_POLICY');
    const badRole = await watchpost(['user', 'add', 'carol', '--role', 'root', '--data-dir', dataDir]);
    expect(badRole.code).not.toBe(0);
    expect(badRole.stderr).toContain('unknown role "root"');
    expect(await store.users.get('carol')).toBeUndefined();

    const listed = await watchpost(['user', 'list', '--json', '--data-dir', dataDir]);
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows.map((row) => [row.id, row.roles, row.hasPassword])).toEqual([
      ['alice', ['analyst', 'viewer'], true],
      ['bob', ['responder'], true],
    ]);
    expect(listed.stdout).not.toContain('scrypt$');
    expect((await watchpost(['user', 'list', '--data-dir', dataDir])).stdout).toMatch(/^ID\s+USERNAME\s+ROLES\s+STATUS/);

    await startSession(store, { id: 'alice' }, { clock: SYSTEM_CLOCK, policy: { idleTimeoutMs: 1_800_000, absoluteTimeoutMs: 43_200_000 } });
    const needsStdin = await watchpost(['user', 'passwd', 'alice', '--data-dir', dataDir]);
    expect(needsStdin.code).toBe(1);
    expect(needsStdin.stderr).toContain('--password-stdin');
    const passwd = await watchpost(['user', 'passwd', 'alice', '--password-stdin', '--data-dir', dataDir], 'a brand new pass\n');
    expect(passwd.code).toBe(0);
    expect(passwd.stderr).toContain('ended 1 session(s)');
    expect(await hasher.verify('a brand new pass', (await store.users.get('alice'))?.passwordHash)).toBe(true);

    await startSession(store, { id: 'bob' }, { clock: SYSTEM_CLOCK, policy: { idleTimeoutMs: 1_800_000, absoluteTimeoutMs: 43_200_000 } });
    const now = new Date().toISOString();
    await store.tokens.create({ id: 'bobtoken', name: 'bob script', userId: 'bob', secretHash: hashSecret('x'.repeat(43)), roles: ['viewer'], revoked: false, createdAt: now });
    const disabled = await watchpost(['user', 'disable', 'bob', '--data-dir', dataDir]);
    expect(disabled.code).toBe(0);
    expect(disabled.stderr).toContain('disabled user bob; ended 1 session(s), revoked 1 token(s)');
    expect((await store.users.get('bob'))?.disabled).toBe(true);
    expect((await store.tokens.get('bobtoken'))?.revoked).toBe(true);
    expect((await store.sessions.list({ filter: { op: 'eq', field: 'userId', value: 'bob' } })).total).toBe(0);
    const enabled = await watchpost(['user', 'enable', 'bob', '--data-dir', dataDir]);
    expect(enabled.stderr).toContain('enabled user bob');
    expect((await watchpost(['user', 'disable', 'nobody', '--data-dir', dataDir])).code).toBe(1);

    const audit = (await store.audit.list()).items;
    expect(audit.map((entry) => [entry.actor, entry.action, entry.target?.id])).toEqual([
      ['cli', 'user.create', 'alice'],
      ['cli', 'user.create', 'bob'],
      ['cli', 'user.password', 'alice'],
      ['cli', 'user.disable', 'bob'],
      ['cli', 'user.enable', 'bob'],
    ]);
    const everything = JSON.stringify(audit);
    for (const secret of ['alice secret pass', 'a brand new pass', bobPassword]) expect(everything).not.toContain(secret);
    for (const file of [dbFile, `${dbFile}-wal`]) {
      if (existsSync(file)) expect(readFileSync(file).includes('a brand new pass'), file).toBe(false);
    }
  }, 120_000);
});

describe('first start', () => {
  it('creates admin with a password printed once to stderr, never logged, and only the first time', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wp-first-'));
    const config = loadConfig({ env: {}, text: [`dataDir: ${dataDir}`, 'api:', '  listen: 127.0.0.1:0'].join('\n') });
    const logs: string[] = [];
    const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void logs.push(line) } });
    const printed: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      const first = await startRoles(['api'], config, logger);
      const password = /with the password\n\n {4}([A-Za-z0-9_-]{24})\n/.exec(printed.join(''))?.[1];
      expect(password, printed.join('')).toBeDefined();
      const login = await first.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password } });
      expect(login.statusCode).toBe(200);
      expect(login.json()).toMatchObject({ roles: ['admin'] });
      const audit = (await first.backends.cases.audit.list()).items;
      expect(audit.filter((entry) => entry.action === 'user.create')).toMatchObject([{ actor: 'system', target: { id: 'admin' } }]);
      expect(JSON.stringify(audit)).not.toContain(password);
      await first.close();
      expect(logs.join('')).toContain('created the first administrator');
      expect(logs.join('')).not.toContain(password);

      printed.length = 0;
      const second = await startRoles(['api'], config, logger);
      await second.close();
      expect(printed.join('')).not.toContain('first administrator');
    } finally {
      spy.mockRestore();
    }
  }, 60_000);
});
