import { UnexpectedError } from '../../core/errors.js';
import { foldCase } from '../../core/query/text.js';
import type { AppendOnlyLog, ListQuery, Page } from '../../core/stores/case-store.js';
import type { SqliteDatabase } from './database.js';
import { resolveListQuery } from '../../core/stores/list-query.js';
import { TIMELINE_KEY, type CaseLogName } from './case-schema.js';
import { searchViewJson } from './case-search-view.js';
import { guarded, listPage, type ListTarget } from './case-sql.js';

/** `Date.prototype.toISOString()` output: the only `at` that sorts and compares correctly as text. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** Rows deleted per retention transaction, so retention never holds the write lock for long. */
const RETENTION_BATCH = 5_000;

/** Checks the invariant every log entry's `at` keeps (core/cases/types.ts); a violation is a bug. */
export function assertIsoTimestamp(at: unknown, log: string): void {
  if (typeof at !== 'string' || !ISO_UTC.test(at) || Number.isNaN(Date.parse(at))) {
    throw new UnexpectedError('WATCHPOST_ERR_INTERNAL', `${log}: entry "at" must be an ISO-8601 UTC timestamp, got ${JSON.stringify(at)}`);
  }
}

/**
 * An append-only log of the SQLite case store: a table `case_<name>` of (id, at, doc JSON) whose
 * triggers (case-schema.ts) refuse UPDATE, overwrites, and DELETE outside retention.
 */
export class SqliteAppendOnlyLog<T extends { readonly id: string; readonly at: string }> implements AppendOnlyLog<T> {
  private readonly table: string;
  private readonly target: ListTarget;
  private readonly key: typeof TIMELINE_KEY | undefined;
  private readonly statements: ReturnType<typeof prepareStatements>;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly name: CaseLogName,
  ) {
    this.table = `case_${name}`;
    this.key = name === 'timeline' ? TIMELINE_KEY : undefined;
    this.target = { table: this.table, columns: { id: 'id', at: 'at' }, hasRev: false, ...(this.key ? { key: this.key } : {}) };
    this.statements = prepareStatements(db, this.table, this.key?.column);
  }

  async append(entry: T): Promise<T> {
    assertIsoTimestamp(entry.at, this.table);
    const doc = JSON.stringify(entry);
    const storedDoc = guarded('append', () =>
      this.db
        .transaction(() => {
          // Look first, then a plain INSERT: the no-overwrite trigger would abort an upsert.
          const existing = this.statements.get.get(entry.id);
          if (existing) return existing.doc;
          const search = searchViewJson(doc);
          if (this.key) {
            const value = (entry as Record<string, unknown>)[this.key.field];
            if (typeof value !== 'string') throw new UnexpectedError('WATCHPOST_ERR_INTERNAL', `${this.table}: entry ${entry.id} has no ${this.key.field}`);
            this.statements.insert.run(entry.id, entry.at, doc, search, foldCase(value));
          } else this.statements.insert.run(entry.id, entry.at, doc, search);
          return doc;
        })
        .immediate(),
    );
    return JSON.parse(storedDoc) as T;
  }

  async list(query: ListQuery = {}): Promise<Page<T>> {
    const resolved = resolveListQuery(query, 'at');
    const page = guarded('list', () => listPage(this.db, this.target, resolved));
    return {
      items: page.rows.map((row) => JSON.parse(row.doc) as T),
      total: page.total,
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  /**
   * Deletes in batches, each its own transaction that opens the retention guard at the cutoff,
   * deletes, and closes it again before committing, so the triggers let only retention through.
   */
  async deleteOlderThan(cutoff: Date): Promise<number> {
    const at = cutoff.toISOString();
    const batch = this.db.transaction(() => {
      this.statements.openGuard.run(at, this.name);
      const deleted = this.statements.deleteBatch.run(at, RETENTION_BATCH).changes;
      this.statements.closeGuard.run(this.name);
      return deleted;
    });
    return guarded('deleteOlderThan', () => {
      let total = 0;
      for (;;) {
        const deleted = batch.immediate();
        total += deleted;
        if (deleted < RETENTION_BATCH) return total;
      }
    });
  }
}

function prepareStatements(db: SqliteDatabase, table: string, keyColumn: string | undefined) {
  const insert = keyColumn
    ? `INSERT INTO ${table} (id, at, doc, search, ${keyColumn}) VALUES (?, ?, ?, ?, ?)`
    : `INSERT INTO ${table} (id, at, doc, search) VALUES (?, ?, ?, ?)`;
  return {
    get: db.prepare<[string], { doc: string }>(`SELECT doc FROM ${table} WHERE id = ?`),
    insert: db.prepare<[string, string, string, string | null, string?]>(insert),
    openGuard: db.prepare<[string, string]>('UPDATE case_retention_guard SET cutoff = ? WHERE log = ?'),
    closeGuard: db.prepare<[string]>('UPDATE case_retention_guard SET cutoff = NULL WHERE log = ?'),
    deleteBatch: db.prepare<[string, number]>(`DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE at < ? ORDER BY at LIMIT ?)`),
  };
}
