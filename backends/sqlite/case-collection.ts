import { UserError } from '../../core/errors.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { Collection, ListQuery, Page, Stored } from '../../core/stores/case-store.js';
import type { SqliteDatabase } from './database.js';
import { resolveListQuery } from '../../core/stores/list-query.js';
import { searchViewJson } from './case-search-view.js';
import { guarded, listPage, type ListTarget } from './case-sql.js';
import { compileFilterSql } from './filter-sql.js';

/** The document of a record: everything but its revision, which the table keeps beside it. */
export function withoutRev<T extends object>(record: T): string {
  const { rev: _rev, ...rest } = record as T & { rev?: unknown };
  return JSON.stringify(rest);
}

/**
 * One collection of the SQLite case store: a table `case_<name>` of (id, rev, doc JSON).
 *
 * better-sqlite3 is synchronous, so each method runs to completion before its promise settles:
 * a write is committed (WAL) when it resolves, and every later `get` or `list` sees it, in this
 * process or any other sharing the file.
 */
export class SqliteCollection<T extends { readonly id: string }> implements Collection<T> {
  private readonly table: string;
  private readonly target: ListTarget;
  private readonly statements: ReturnType<typeof prepareStatements>;

  constructor(
    private readonly db: SqliteDatabase,
    name: string,
  ) {
    this.table = `case_${name}`;
    this.target = { table: this.table, columns: { id: 'id' }, hasRev: true };
    this.statements = prepareStatements(db, this.table);
  }

  private nextRev(): number {
    const row = this.statements.nextRev.get();
    if (!row) throw new Error('case_revision has no row: the cases migration did not run');
    return row.value;
  }

  async create(record: T): Promise<Stored<T>> {
    const doc = withoutRev(record);
    const rev = guarded('create', () =>
      this.db
        .transaction(() => {
          const next = this.nextRev();
          if (this.statements.insert.run(record.id, next, doc, searchViewJson(doc)).changes === 0) {
            throw new UserError('WATCHPOST_ERR_STORE_CONFLICT', `${this.table}: a record with id ${record.id} exists`, {
              details: { table: this.table, id: record.id },
            });
          }
          return next;
        })
        .immediate(),
    );
    return stored<T>(doc, rev);
  }

  async get(id: string): Promise<Stored<T> | undefined> {
    const row = guarded('get', () => this.statements.get.get(id));
    return row ? stored<T>(row.doc, row.rev) : undefined;
  }

  async replace(record: Stored<T>): Promise<Stored<T>> {
    const doc = withoutRev(record);
    // A revision this store never issued cannot match; -1 makes the UPDATE miss and the
    // existence check below decide between CONFLICT and NOT_FOUND.
    const expected = /^[0-9]{1,15}$/.test(String(record.rev)) ? Number(record.rev) : -1;
    const rev = guarded('replace', () =>
      this.db
        .transaction(() => {
          const next = this.nextRev();
          if (this.statements.update.run(doc, searchViewJson(doc), next, record.id, expected).changes === 1) return next;
          const details = { table: this.table, id: record.id };
          if (this.statements.exists.get(record.id)) {
            throw new UserError('WATCHPOST_ERR_STORE_CONFLICT', `${this.table}: record ${record.id} changed since revision ${record.rev}`, { details });
          }
          throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `${this.table}: record ${record.id} does not exist`, { details });
        })
        .immediate(),
    );
    return stored<T>(doc, rev);
  }

  async delete(id: string): Promise<boolean> {
    return guarded('delete', () => this.statements.delete.run(id).changes > 0);
  }

  async list(query: ListQuery = {}): Promise<Page<Stored<T>>> {
    const resolved = resolveListQuery(query, 'createdAt');
    const page = guarded('list', () => listPage(this.db, this.target, resolved));
    return {
      items: page.rows.map((row) => stored<T>(row.doc, row.rev ?? 0)),
      total: page.total,
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  async deleteMatching(filter: FilterNode): Promise<number> {
    return guarded('deleteMatching', () => {
      const compiled = compileFilterSql(filter, 'sdoc');
      return this.db.prepare(`DELETE FROM ${this.table} WHERE ${compiled.sql}`).run(...compiled.params).changes;
    });
  }
}

function prepareStatements(db: SqliteDatabase, table: string) {
  return {
    // The shared counter gives every write a revision no other write of the file ever had.
    nextRev: db.prepare<[], { value: number }>('UPDATE case_revision SET value = value + 1 WHERE only = 1 RETURNING value'),
    insert: db.prepare<[string, number, string, string | null]>(`INSERT INTO ${table} (id, rev, doc, search) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
    update: db.prepare<[string, string | null, number, string, number]>(`UPDATE ${table} SET doc = ?, search = ?, rev = ? WHERE id = ? AND rev = ?`),
    get: db.prepare<[string], { rev: number; doc: string }>(`SELECT rev, doc FROM ${table} WHERE id = ?`),
    exists: db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM ${table} WHERE id = ?`),
    delete: db.prepare<[string]>(`DELETE FROM ${table} WHERE id = ?`),
  };
}

function stored<T>(doc: string, rev: number): Stored<T> {
  return { ...(JSON.parse(doc) as T), rev: String(rev) };
}
