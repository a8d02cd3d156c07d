import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCaseStoreContract } from '../../test/contracts/case-store.contract.js';
import { makeAlert, makeAuditEntry, makeTimelineEntry } from '../../test/contracts/case-fixtures.js';
import { resolveListQuery } from '../../core/stores/list-query.js';
import { TIMELINE_KEY } from './case-schema.js';
import { listStatements } from './case-sql.js';
import { SqliteCaseStore } from './case-store.js';
import { openSqliteDatabase, type SqliteDatabase } from './database.js';

describeCaseStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'watchpost-case-store-'));
  const db = openSqliteDatabase(join(dir, 'watchpost.db'));
  return {
    store: new SqliteCaseStore(db),
    cleanup: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteCaseStore', () => {
  let dir: string;
  let db: SqliteDatabase;
  let store: SqliteCaseStore;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'watchpost-case-store-'));
    db = openSqliteDatabase(join(dir, 'watchpost.db'));
    store = new SqliteCaseStore(db);
  });

  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the audit and timeline tables append-only against raw SQL', async () => {
    const audit = await store.audit.append(makeAuditEntry({ at: '2000-01-01T00:00:00.000Z' }));
    const entry = await store.timeline.append(makeTimelineEntry({ at: '2000-01-01T00:00:00.000Z' }));
    for (const [table, id] of [
      ['case_audit', audit.id],
      ['case_timeline', entry.id],
    ] as const) {
      expect(() => db.prepare(`UPDATE ${table} SET doc = '{}' WHERE id = ?`).run(id)).toThrow(/append-only/);
      expect(() => db.prepare(`DELETE FROM ${table} WHERE id = ?`).run(id)).toThrow(/append-only/);
      expect(() => db.prepare(`INSERT OR REPLACE INTO ${table} (id, at, doc) VALUES (?, ?, '{}')`).run(id, '2030-01-01T00:00:00.000Z')).toThrow(
        /append-only/,
      );
    }
    await expect(store.audit.list()).resolves.toMatchObject({ items: [audit], total: 1 });
    // Retention still works, and leaves the guard shut behind it.
    await expect(store.audit.deleteOlderThan(new Date('2001-01-01T00:00:00.000Z'))).resolves.toBe(1);
    expect(db.prepare('SELECT count(*) AS n FROM case_retention_guard WHERE cutoff IS NOT NULL').get()).toEqual({ n: 0 });
    await store.audit.append(audit);
    expect(() => db.prepare('DELETE FROM case_audit WHERE id = ?').run(audit.id)).toThrow(/append-only/);
  });

  it('shares records and revisions with another connection to the same file', async () => {
    const other = openSqliteDatabase(join(dir, 'watchpost.db'));
    try {
      const second = new SqliteCaseStore(other);
      const created = await store.alerts.create(makeAlert());
      const seen = await second.alerts.get(created.id);
      expect(seen).toEqual(created);
      const replaced = await second.alerts.replace({ ...seen!, count: 2 });
      await expect(store.alerts.replace({ ...created, count: 3 })).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_CONFLICT' });
      await expect(store.alerts.list({ filter: { op: 'eq', field: 'id', value: created.id } })).resolves.toMatchObject({ items: [replaced] });
    } finally {
      other.close();
    }
  });

  it('keeps what it acknowledged across closing and reopening the file', async () => {
    const path = join(dir, 'reopen.db');
    const first = openSqliteDatabase(path);
    const created = await new SqliteCaseStore(first).alerts.create(makeAlert());
    first.close();
    const again = openSqliteDatabase(path);
    try {
      await expect(new SqliteCaseStore(again).alerts.get(created.id)).resolves.toEqual(created);
    } finally {
      again.close();
    }
  });

  it('serves the default sort from an index', () => {
    const { page: statement } = listStatements({ table: 'case_alerts', columns: { id: 'id' }, hasRev: true }, resolveListQuery({ limit: 10 }, 'createdAt'));
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.params) as { detail: string }[];
    expect(plan.map((row) => row.detail).join('\n')).toMatch(/USING INDEX case_alerts_by_createdat/);
  });

  it('reads one incident timeline through its index, however many incidents there are', async () => {
    const incidentId = 'Inc-ÄBC-1';
    await store.timeline.append(makeTimelineEntry({ incidentId, at: '2024-01-01T00:00:00.000Z' }));
    await store.timeline.append(makeTimelineEntry({ incidentId: 'other', at: '2024-01-01T00:00:00.000Z' }));
    // The narrowing folds case like the filter does: a differently cased id still finds the entry.
    const page = await store.timeline.list({ filter: { op: 'eq', field: 'incidentId', value: 'inc-äbc-1' } });
    expect(page.items.map((e) => e.incidentId)).toEqual([incidentId]);
    const { page: statement } = listStatements(
      { table: 'case_timeline', columns: { id: 'id', at: 'at' }, hasRev: false, key: TIMELINE_KEY },
      resolveListQuery({ filter: { op: 'eq', field: 'incidentId', value: incidentId } }, 'at'),
    );
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.params) as { detail: string }[];
    expect(plan.map((row) => row.detail).join('\n')).toMatch(/SEARCH case_timeline USING INDEX case_timeline_by_incident/);
  });

  it('rejects with STORE_UNAVAILABLE once the database is closed', async () => {
    const scratch = openSqliteDatabase(':memory:');
    const closed = new SqliteCaseStore(scratch);
    scratch.close();
    await expect(closed.alerts.get('x')).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_UNAVAILABLE' });
    await expect(closed.health()).rejects.toMatchObject({ code: 'WATCHPOST_ERR_STORE_UNAVAILABLE' });
  });
});
