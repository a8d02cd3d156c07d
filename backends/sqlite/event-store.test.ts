import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEventStoreContract } from '../../test/contracts/event-store.contract.js';
import { ALL, ev, T0 } from '../../test/contracts/event-store-fixtures.js';
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

  it('resolves arrays of objects and flat dotted keys in search, terms and text, as Elasticsearch does', async () => {
    const { store, cleanup } = openFileStore();
    await store.append([
      ev('d1', T0, { dns: { answers: [{ name: 'a.example' }, { name: 'b.example' }] } } as never),
      ev('d2', T0 + 1, { dns: { answers: [{ name: 'b.example' }] }, 'event.original': 'flat original words' } as never),
      ev('d3', T0 + 2, { dns: { answers: { name: 'b.example' } } } as never),
    ]);
    const search = async (filter: Parameters<typeof store.search>[0]['filter']): Promise<string[]> =>
      (await store.search({ ...ALL, filter, order: 'asc' })).events.map((event) => event.event.id);
    expect(await search({ op: 'eq', field: 'dns.answers.name', value: 'B.EXAMPLE' })).toEqual(['d1', 'd2', 'd3']);
    expect(await search({ op: 'text', value: 'ORIGINAL words' })).toEqual(['d2']);
    expect(await store.terms({ ...ALL, field: 'dns.answers.name' })).toEqual([
      { value: 'b.example', count: 3 },
      { value: 'a.example', count: 1 },
    ]);
    await cleanup();
  });

  it('marks the rows stored before the irregular column existed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watchpost-events-'));
    const db = openSqliteDatabase(join(dir, 'watchpost.db'));
    // The file as the first migration left it, with one irregular row in it.
    new SqliteEventStore(db);
    db.exec("DELETE FROM schema_migrations WHERE component = 'events' AND version = 2");
    db.exec('ALTER TABLE events DROP COLUMN irregular');
    const doc = ev('m1', T0, { dns: { answers: [{ name: 'old.example' }] } } as never);
    db.prepare('INSERT INTO events (id, ts, doc) VALUES (?, ?, ?)').run('m1', T0, JSON.stringify(doc));
    db.prepare('INSERT INTO events (id, ts, doc) VALUES (?, ?, ?)').run('m2', T0, JSON.stringify(ev('m2', T0)));
    const store = new SqliteEventStore(db);
    expect(db.prepare('SELECT id, irregular FROM events ORDER BY id').all()).toEqual([
      { id: 'm1', irregular: 1 },
      { id: 'm2', irregular: 0 },
    ]);
    expect((await store.search({ ...ALL, filter: { op: 'eq', field: 'dns.answers.name', value: 'old.example' } })).events.map((e) => e.event.id)).toEqual(['m1']);
    db.close();
    rmSync(dir, { recursive: true, force: true });
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
