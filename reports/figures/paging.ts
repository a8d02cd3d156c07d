/**
 * Reading the case store for the report: every page of a list, by cursor, so a busy week is
 * counted whole whatever page size the store answers with.
 */
import type { FilterNode } from '../../core/query/filter.js';
import { MAX_LIST_LIMIT, type Collection, type ListQuery, type Stored } from '../../core/stores/case-store.js';

/** Calls `visit` with every record matching the query, page by page, in the query's order. */
export async function forEachRecord<T extends { readonly id: string }>(
  collection: Collection<T>,
  query: Omit<ListQuery, 'limit' | 'cursor'>,
  visit: (record: Stored<T>) => void,
): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await collection.list({ ...query, limit: MAX_LIST_LIMIT, ...(cursor !== undefined ? { cursor } : {}) });
    for (const record of page.items) visit(record);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

/** How many records match: the list's total, without reading a record. */
export async function countRecords<T extends { readonly id: string }>(collection: Collection<T>, filter: FilterNode): Promise<number> {
  return (await collection.list({ filter, limit: 0 })).total;
}

/** `field` in the half-open range [from, to), as the store's filter compares ISO instants. */
export function within(field: string, range: { readonly from: string; readonly to: string }): FilterNode {
  return { op: 'range', field, gte: range.from, lt: range.to };
}
