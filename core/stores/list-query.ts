import { UserError } from '../errors.js';
import type { FilterNode } from '../query/filter.js';
import { MAX_LIST_LIMIT, type ListQuery } from './case-store.js';

/** The page size when a query names none (the contract's default). */
export const DEFAULT_LIST_LIMIT = 100;

/**
 * Sort fields every case store accepts: dotted names of plain segments (SQLite splices the name
 * into a JSON path, so nothing else may pass: no quotes, brackets or `$`). Shared so that every
 * backend accepts and refuses the same list queries and issues the same cursors.
 */
const SORT_FIELD = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$/;

/** A {@link ListQuery} with its defaults applied and its cursor decoded. */
export interface ResolvedListQuery {
  readonly filter?: FilterNode;
  readonly sort: string;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  /** The sort value (null when the record lacks the field) and id of the last record of the previous page. */
  readonly after?: { readonly value: string | number | null; readonly id: string };
}

/** What a cursor holds: the sort it was made for, so a cursor reused with another sort is refused. */
interface CursorPayload {
  readonly s: string;
  readonly o: 'asc' | 'desc';
  readonly v: string | number | null;
  readonly i: string;
}

function invalid(message: string, details: Record<string, unknown> = {}): UserError {
  return new UserError('WATCHPOST_ERR_STORE_INVALID_QUERY', message, { details });
}

/** Validates a list query and applies the contract's defaults; rejects with WATCHPOST_ERR_STORE_INVALID_QUERY. */
export function resolveListQuery(query: ListQuery, defaultSort: string): ResolvedListQuery {
  const sort = query.sort ?? defaultSort;
  if (!SORT_FIELD.test(sort)) throw invalid(`cannot sort on "${sort}": a sort field is a dotted name of letters, digits and _`, { sort });
  const order = query.order ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw invalid(`order must be "asc" or "desc", not "${String(order)}"`);
  const limit = query.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIST_LIMIT) {
    throw invalid(`limit must be an integer from 0 to ${MAX_LIST_LIMIT}, not ${limit}`, { limit });
  }
  const resolved = { ...(query.filter ? { filter: query.filter } : {}), sort, order, limit };
  if (query.cursor === undefined) return resolved;
  const cursor = decodeCursor(query.cursor);
  if (cursor.s !== sort || cursor.o !== order) {
    throw invalid('the cursor belongs to a list with another sort or order', { sort, order });
  }
  return { ...resolved, after: { value: cursor.v, id: cursor.i } };
}

/** Encodes the position after `id` (whose sort value is `value`) as an opaque base64url cursor. */
export function encodeCursor(query: ResolvedListQuery, value: unknown, id: string): string {
  const v = typeof value === 'string' || typeof value === 'number' ? value : null;
  const payload: CursorPayload = { s: query.sort, o: query.order, v, i: id };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): CursorPayload {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('the cursor is not one this store issued');
  }
  if (typeof payload !== 'object' || payload === null) throw invalid('the cursor is not one this store issued');
  const { s, o, v, i } = payload as Record<string, unknown>;
  const valueOk = v === null || typeof v === 'string' || typeof v === 'number';
  if (typeof s !== 'string' || (o !== 'asc' && o !== 'desc') || !valueOk || typeof i !== 'string') {
    throw invalid('the cursor is not one this store issued');
  }
  return { s, o, v, i };
}
