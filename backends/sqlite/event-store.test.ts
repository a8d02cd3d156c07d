import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEventStoreContract } from '../../test/contracts/event-store.contract.js';
import { ev, T0 } from '../../test/contracts/event-store-fixtures.js';
import { openSqliteDatabase } from './database.js';
import { SqliteEventStore } from './event-store.js';

/** A store on a fresh database file in a temp dir, so WAL and the file layout are real. */
function openFileStore(): { store: SqliteEventStore; db: ReturnType<typeof openSqliteDatabase>; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'watchpost-events-'));
  const db = openSqliteDatabase(join(dir, 'watchpost.db'));
  const store = new SqliteEventStore(db);
  return {
    store,
    db,
    cleanup: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

describeEventStoreContract('sqlite', () => Promise.resolve(openFileStore()));

describe('SqliteEventStore', () => {
  it('uses WAL on the file', async () => {
    const { db, cleanup } = openFileStore();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    await cleanup();
  });

  it('keeps the FTS index in step with inserts, duplicates and deletes', async () => {
    const { store, db, cleanup } = openFileStore();
    await store.append([ev('f1', T0, { message: 'alpha beta' }), ev('f2', T0 + 86_400_000, { message: 'gamma' })]);
    await store.append([ev('f1', T0, { message: 'delta' })]); // a duplicate must not index "delta"
    const fts = (word: string): number =>
      db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM events_fts WHERE events_fts MATCH ?').get(word)?.n ?? -1;
    expect([fts('alpha'), fts('delta'), fts('gamma')]).toEqual([1, 0, 1]);
    expect(await store.deleteOlderThan(new Date(T0 + 86_400_000))).toBe(1);
    expect([fts('alpha'), fts('gamma')]).toEqual([0, 1]);
    await cleanup();
  });

  it('survives a second store on the same file (migrations run once)', async () => {
    const { store, db, cleanup } = openFileStore();
    await store.append([ev('s1', T0)]);
    const again = new SqliteEventStore(db);
    expect(await again.get('s1')).toEqual(ev('s1', T0));
    await cleanup();
  });

  it('close leaves the caller-owned database open', async () => {
    const { store, db, cleanup } = openFileStore();
    await store.close();
    expect(db.open).toBe(true);
    await cleanup();
  });

  it('reports a closed database as an OperationalError', async () => {
    const { store, db, cleanup } = openFileStore();
    db.close();
    await expect(store.health()).rejects.toEqual(expect.objectContaining({ code: 'WATCHPOST_ERR_STORE_UNAVAILABLE', intent: 'operational' }));
    await cleanup().catch(() => undefined);
  });
});
