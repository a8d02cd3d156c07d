import { OperationalError, UnexpectedError, WatchpostError } from '../../core/errors.js';
import type { FilterNode } from '../../core/query/filter.js';
import { foldCase } from '../../core/query/text.js';
import type { SqliteDatabase } from './database.js';
import { compileFilterSql } from './filter-sql.js';
import { encodeCursor, type ResolvedListQuery } from '../../core/stores/list-query.js';

/**
 * SQLite result codes that mean the file cannot be used right now (locked past the busy
 * timeout, disk full or failing, read-only, gone); retrying later may succeed.
 */
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOMEM|NOTADB|CORRUPT)/;

/** Maps what better-sqlite3 throws to the error catalogue. Watchpost errors pass through. */
export function mapSqliteError(error: unknown, operation: string): WatchpostError {
  if (error instanceof WatchpostError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  // better-sqlite3 throws a TypeError once the connection is closed: the store is gone, not buggy.
  if ((typeof code === 'string' && UNAVAILABLE_CODES.test(code)) || /database connection is not open/.test(message)) {
    return new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', `case store (sqlite) ${operation} failed: ${message}`, {
      cause: error,
      details: { operation, ...(typeof code === 'string' ? { sqliteCode: code } : {}) },
    });
  }
  return new UnexpectedError('WATCHPOST_ERR_INTERNAL', `case store (sqlite) ${operation} failed: ${message}`, {
    cause: error,
    details: { operation },
  });
}

/** Runs a synchronous database operation, mapping what it throws. */
export function guarded<R>(operation: string, run: () => R): R {
  try {
    return run();
  } catch (error) {
    throw mapSqliteError(error, operation);
  }
}

/**
 * The SQL expression a sort field reads: a real column where the table has one (so its index
 * serves the ORDER BY), else the JSON path into `sdoc`, the record's search view
 * (case-search-view.ts). The field was validated as dotted plain segments by resolveListQuery,
 * so splicing it into the path is safe. Keep the spelling: the expression indexes of
 * case-schema.ts repeat it.
 */
export function sortExpression(field: string, columns: Readonly<Record<string, string>>): string {
  return columns[field] ?? `json_extract(sdoc, '$.${field}')`;
}

/** One row of a page: the document, its revision when the table keeps one, and its sort value. */
export interface ListedRow {
  readonly id: string;
  readonly doc: string;
  readonly rev?: number;
  readonly sort_key: string | number | null;
}

/** Where and how to list: the table, its real columns by field name, and whether it has `rev`. */
export interface ListTarget {
  readonly table: string;
  readonly columns: Readonly<Record<string, string>>;
  readonly hasRev: boolean;
  /** A string field also kept case-folded in an indexed column (TIMELINE_KEY). */
  readonly key?: { readonly field: string; readonly column: string };
}

/**
 * An indexed condition implied by the filter: when the filter requires `eq` of the key field to
 * a string (alone or as a child of a top-level `and`), the row's folded key must equal the folded
 * value. It only narrows; the compiled filter still decides.
 */
function keyCondition(filter: FilterNode | undefined, key: ListTarget['key']): { sql: string; value: string } | undefined {
  if (!filter || !key) return undefined;
  const candidates = filter.op === 'and' ? filter.children : [filter];
  for (const node of candidates) {
    if (node.op === 'eq' && node.field === key.field && typeof node.value === 'string') {
      return { sql: `${key.column} = ?`, value: foldCase(node.value) };
    }
  }
  return undefined;
}

/** The two statements of a list: one page (its LIMIT is the last parameter) and the total. */
export interface ListStatements {
  readonly page: { readonly sql: string; readonly params: unknown[] };
  readonly count: { readonly sql: string; readonly params: unknown[] };
}

/**
 * Builds the statements of one page with keyset paging and the total of the filter.
 *
 * Order: the sort value, then id, both in the asked direction; a missing value (SQL NULL) sorts
 * first ascending and last descending, which is SQLite's own NULL order (so the expression
 * indexes serve it) and what the Elasticsearch store asks of Elasticsearch.
 */
export function listStatements(target: ListTarget, query: ResolvedListQuery): ListStatements {
  const where: string[] = [];
  const params: unknown[] = [];
  const narrowed = keyCondition(query.filter, target.key);
  if (narrowed) {
    where.push(narrowed.sql);
    params.push(narrowed.value);
  }
  if (query.filter) {
    const compiled = compileFilterSql(query.filter, 'sdoc');
    where.push(`(${compiled.sql})`);
    params.push(...compiled.params);
  }
  const count = { sql: `SELECT COUNT(*) AS total FROM ${target.table} WHERE ${where.length > 0 ? where.join(' AND ') : '1'}`, params: [...params] };

  const key = sortExpression(query.sort, target.columns);
  if (query.after) {
    const { value, id } = query.after;
    if (value === null) {
      // After a record without a sort value: the rest of the NULLs by id, then (ascending) every non-NULL.
      where.push(query.order === 'asc' ? `((${key} IS NULL AND id > ?) OR ${key} IS NOT NULL)` : `(${key} IS NULL AND id < ?)`);
      params.push(id);
    } else {
      // Row values let SQLite seek the (key, id) index; NULL keys compare as NULL and drop out,
      // which is right ascending (they came first) and is added back descending (they come last).
      where.push(query.order === 'asc' ? `((${key}, id) > (?, ?))` : `((${key}, id) < (?, ?) OR ${key} IS NULL)`);
      params.push(value, id);
    }
  }
  const direction = query.order === 'asc' ? 'ASC' : 'DESC';
  const columns = `id, doc, ${target.hasRev ? 'rev, ' : ''}${key} AS sort_key`;
  const sql = `SELECT ${columns} FROM ${target.table} WHERE ${where.length > 0 ? where.join(' AND ') : '1'} ORDER BY ${key} ${direction}, id ${direction} LIMIT ?`;
  // One row more than asked tells whether another page follows without a second query.
  return { page: { sql, params: [...params, query.limit + 1] }, count };
}

/** Lists one page (see {@link listStatements}) with the total and, when more follow, the cursor. */
export function listPage(db: SqliteDatabase, target: ListTarget, query: ResolvedListQuery): { rows: ListedRow[]; total: number; nextCursor?: string } {
  const statements = listStatements(target, query);
  const rows = db.prepare<unknown[], ListedRow>(statements.page.sql).all(...statements.page.params);
  const total = db.prepare<unknown[], { total: number }>(statements.count.sql).get(...statements.count.params)?.total ?? 0;
  if (rows.length <= query.limit) return { rows, total };
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return { rows: page, total, ...(last ? { nextCursor: encodeCursor(query, last.sort_key, last.id) } : {}) };
}
