import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { loadConfig } from '../../core/config/load.js';
import { backupSqliteFile, clusterBackupInstructions } from './backup.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wp-backup-'));
  dirs.push(dir);
  return dir;
}

/** A WAL database of `rows` rows of 1 KiB, numbered 1..rows: several hundred pages. */
function seededDatabase(dir: string, rows: number): string {
  const file = join(dir, 'watchpost.db');
  const db = openSqliteDatabase(file);
  db.exec('CREATE TABLE t (i INTEGER PRIMARY KEY, pad BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO t (i, pad) VALUES (?, randomblob(1024))');
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) insert.run(i);
  })();
  db.close();
  return file;
}

describe('backupSqliteFile', () => {
  it('copies a database that another connection keeps writing to: one consistent state, mode 0600, one self-contained file', async () => {
    const dir = tempDir();
    const source = seededDatabase(dir, 3000);
    // The writer: another connection, as `watchpost start` is another process, committing one row
    // at a time throughout the backup (each commit would restart a backup copied in small steps).
    const writer = openSqliteDatabase(source);
    const insert = writer.prepare('INSERT INTO t (i, pad) VALUES (?, randomblob(1024))');
    let next = 3001;
    const timer = setInterval(() => {
      for (let k = 0; k < 20; k++) insert.run(next++);
    }, 1);
    const out = join(dir, 'backup.db');
    let result;
    let committedBefore = 0;
    try {
      // Some commits first, so that the newest rows are still in the writer's WAL, not the file.
      await new Promise((resolve) => setTimeout(resolve, 30));
      committedBefore = next - 1;
      result = await backupSqliteFile(source, out);
    } finally {
      clearInterval(timer);
    }
    writer.close();

    expect(result.file).toBe(out);
    expect(result.bytes).toBe(statSync(out).size);
    expect(result.pages * result.pageSize).toBe(result.bytes);
    expect(result.pages).toBeGreaterThan(700);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(existsSync(`${out}-wal`)).toBe(false);
    expect(existsSync(`${out}-journal`)).toBe(false);

    const copy = new Database(out, { readonly: true, fileMustExist: true });
    try {
      expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
      const { count, max } = copy.prepare('SELECT count(*) AS count, max(i) AS max FROM t').get() as { count: number; max: number };
      // A prefix of the writer's commits: every row up to the last one copied, none missing.
      expect(committedBefore).toBeGreaterThan(3000);
      expect(count).toBeGreaterThanOrEqual(committedBefore);
      expect(count).toBeLessThan(next);
      expect(max).toBe(count);
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      copy.close();
    }
  });

  it('never overwrites a file and leaves it as it was', async () => {
    const dir = tempDir();
    const source = seededDatabase(dir, 10);
    const out = join(dir, 'taken.db');
    writeFileSync(out, 'precious');
    await expect(backupSqliteFile(source, out)).rejects.toMatchObject({ code: 'WATCHPOST_ERR_BACKUP_TARGET' });
    expect(readFileSync(out, 'utf8')).toBe('precious');
  });

  it('fails on a missing source without leaving a file behind', async () => {
    const dir = tempDir();
    const out = join(dir, 'backup.db');
    await expect(backupSqliteFile(join(dir, 'absent.db'), out)).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_UNAVAILABLE' });
    expect(existsSync(out)).toBe(false);
  });
});

describe('clusterBackupInstructions', () => {
  it('prints the snapshot calls for the indices of an Elasticsearch configuration, without credentials, and the Redis advice', () => {
    const config = loadConfig({
      env: {},
      text: [
        'backends: { events: elasticsearch, cases: elasticsearch, queue: redis, correlation: redis }',
        'elasticsearch: { nodes: ["https://elastic:s3cret@es1.example.net:9200"], indexPrefix: soc }',
        'redis: { url: "redis://127.0.0.1:6379", prefix: socq }',
      ].join('\n'),
    });
    const text = clusterBackupInstructions(config);
    expect(text).toContain(`curl -X PUT 'https://es1.example.net:9200/_snapshot/watchpost'`);
    expect(text).toContain('"indices":"soc-events-*,soc-cases-*","include_global_state":false');
    expect(text).toContain('/_snapshot/watchpost/<snapshot>/_restore');
    expect(text).toContain('_slm/policy/watchpost-nightly');
    expect(text).toContain('keys socq:*');
    expect(text).not.toContain('s3cret');
  });

  it('names only the Elasticsearch indices in use and is empty for the embedded backends', () => {
    const mixed = loadConfig({ env: {}, text: 'backends: { events: elasticsearch }\nelasticsearch: { nodes: ["http://127.0.0.1:9200"] }\n' });
    const text = clusterBackupInstructions(mixed);
    expect(text).toContain('"indices":"watchpost-events-*"');
    expect(text).not.toContain('cases-*');
    expect(text).not.toContain('Redis');
    expect(clusterBackupInstructions(loadConfig({ env: {}, text: '' }))).toBe('');
  });
});
