import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqliteDatabase = Database.Database;

/** Options of {@link openSqliteDatabase}. */
export interface SqliteOptions {
  /** How long a writer waits for another process's lock before failing. @defaultValue 5000 */
  readonly busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the embedded database file: WAL journal so readers never block the
 * writer and several processes (ingest, worker, api) can share the file, `synchronous=NORMAL`
 * (durable at each checkpoint in WAL mode; a power loss may lose the last transactions but never
 * corrupts), foreign keys on. `:memory:` gives a private in-memory database for tests.
 */
export function openSqliteDatabase(path: string, options: SqliteOptions = {}): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (component, version)
  )`);
  return db;
}

/**
 * Applies a component's migrations in order, each once, each in its own transaction. Each
 * store (events, cases, queue) owns its tables and its list; append to a list, never edit it.
 */
export function migrate(db: SqliteDatabase, component: string, migrations: readonly string[]): void {
  const isApplied = db.prepare<[string, number], { version: number }>('SELECT version FROM schema_migrations WHERE component = ? AND version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)');
  migrations.forEach((sql, index) => {
    const version = index + 1;
    // Checked inside the IMMEDIATE transaction: two processes opening a new file at once must not
    // both apply the same migration.
    db.transaction(() => {
      if (isApplied.get(component, version)) return;
      db.exec(sql);
      record.run(component, version, new Date().toISOString());
    }).immediate();
  });
}
