import type { Client, estypes } from '@elastic/elasticsearch';
import { OperationalError } from '../../core/errors.js';
import { CASE_FIELD_TYPES } from './case-indices.js';
import { mapEsError } from './case-errors.js';
import { encodeCursor, type ResolvedListQuery } from '../../core/stores/list-query.js';
import { compileFilterDsl } from './filter-dsl.js';

/** A document as a search returns it, with the fields the case store asks for. */
export type CaseHit = estypes.SearchHit<Record<string, unknown>>;

/** Ids fetched and deleted per round of {@link deleteWhere}. */
const DELETE_BATCH = 1_000;

/** The revision of a document: its sequence number and primary term, which together identify one write. */
export function revisionOf(hit: { _seq_no?: number; _primary_term?: number }): string {
  if (hit._seq_no === undefined || hit._primary_term === undefined) throw new Error('Elasticsearch returned no _seq_no/_primary_term');
  return `${hit._seq_no}:${hit._primary_term}`;
}

/** Parses a revision back, or undefined when it is not one this store issued. */
export function parseRevision(rev: string): { seqNo: number; primaryTerm: number } | undefined {
  const match = /^(\d{1,18}):(\d{1,18})$/.exec(rev);
  if (!match) return undefined;
  return { seqNo: Number(match[1]), primaryTerm: Number(match[2]) };
}

/** The query of a filter (match_all without one). */
export function filterQuery(query: { readonly filter?: ResolvedListQuery['filter'] }): estypes.QueryDslQueryContainer {
  return query.filter ? compileFilterDsl(query.filter, CASE_FIELD_TYPES) : { match_all: {} };
}

/**
 * True when a hit's sort value stands for "no value": null for keywords, and the placeholders
 * Elasticsearch puts for dates and booleans (±2^63, which JSON.parse rounds) and doubles
 * (±Infinity, as strings). Only the field's own type is consulted, so a keyword whose value is
 * the text "Infinity" is not mistaken for a missing one.
 */
function isMissingSortValue(field: string, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  const type = CASE_FIELD_TYPES[field];
  if (type === 'number') return value === 'Infinity' || value === '-Infinity';
  if (type === 'date' || type === 'boolean') return typeof value === 'number' && Math.abs(value) >= 9.2e18;
  return false;
}

/**
 * One page of a list: filter, sort with id tie-break, resume after the cursor, exact total.
 *
 * A record without the sort field sorts first ascending and last descending (as in the SQLite
 * store). Resuming after such a record cannot use search_after: Elasticsearch hands out a
 * placeholder for the missing date or number that it then refuses to parse back. That page is
 * asked for as a query instead — the rest of the records without the field, by id, then
 * (ascending) every record with it — and its total is counted separately.
 */
export async function searchPage(
  client: Client,
  index: string,
  query: ResolvedListQuery,
): Promise<{ hits: CaseHit[]; total: number; nextCursor?: string }> {
  const { sort: field, order, after } = query;
  const filter = filterQuery(query);
  const sort: estypes.SortCombinations[] =
    field === 'id'
      ? [{ id: { order } }]
      : [{ [field]: { order, missing: order === 'asc' ? '_first' : '_last', unmapped_type: 'keyword' } }, { id: { order } }];
  let effective = filter;
  let searchAfter: estypes.SortResults | undefined;
  if (after && field === 'id') searchAfter = [after.id];
  else if (after && after.value !== null) searchAfter = [after.value, after.id];
  else if (after) {
    const present: estypes.QueryDslQueryContainer = { exists: { field } };
    const restOfMissing: estypes.QueryDslQueryContainer = {
      bool: { must_not: [present], filter: [{ range: { id: order === 'asc' ? { gt: after.id } : { lt: after.id } } }] },
    };
    const rest = order === 'asc' ? { bool: { should: [restOfMissing, present], minimum_should_match: 1 } } : restOfMissing;
    effective = { bool: { filter: [filter, rest] } };
  }
  try {
    const response = await client.search<Record<string, unknown>>({
      index,
      query: effective,
      sort,
      // One more than asked tells whether another page follows.
      size: query.limit + 1,
      ...(searchAfter ? { search_after: searchAfter } : {}),
      track_total_hits: true,
      seq_no_primary_term: true,
    });
    const total =
      effective === filter ? totalOf(response.hits.total) : (await client.count({ index, query: filter })).count;
    const hits = response.hits.hits;
    if (hits.length <= query.limit) return { hits, total };
    const page = hits.slice(0, query.limit);
    const last = page[page.length - 1];
    // limit 0 asks for the total only: there is no record to resume after.
    if (!last) return { hits: page, total };
    const sourceId = last._source?.id;
    const id = typeof sourceId === 'string' ? sourceId : String(last._id);
    const first: unknown = last.sort?.[0];
    const value = field === 'id' || isMissingSortValue(field, first) ? null : first;
    return { hits: page, total, nextCursor: encodeCursor(query, value, id) };
  } catch (error) {
    throw mapEsError(error, 'list', 'read');
  }
}

function totalOf(total: number | estypes.SearchTotalHits | undefined): number {
  if (total === undefined) return 0;
  return typeof total === 'number' ? total : total.value;
}

/**
 * Deletes every document matching the query without _delete_by_query (absent from some
 * distributions): pages through the matching ids in id order and bulk-deletes each page, each
 * delete conditional on the revision the search saw, so a record rewritten since (and perhaps no
 * longer matching) is left alone. Returns how many it deleted; the deletes are visible to
 * searches when it returns.
 */
export async function deleteWhere(client: Client, index: string, query: estypes.QueryDslQueryContainer, operation: string): Promise<number> {
  let deleted = 0;
  let after: estypes.SortResults | undefined;
  try {
    for (;;) {
      const response = await client.search({
        index,
        query,
        size: DELETE_BATCH,
        _source: false,
        sort: [{ id: { order: 'asc' } }],
        seq_no_primary_term: true,
        track_total_hits: false,
        ...(after ? { search_after: after } : {}),
      });
      const hits = response.hits.hits;
      if (hits.length === 0) return deleted;
      const bulk = await client.bulk({
        refresh: 'wait_for',
        operations: hits.map((hit) => ({
          delete: { _index: index, _id: hit._id as string, if_seq_no: hit._seq_no, if_primary_term: hit._primary_term },
        })),
      });
      for (const item of bulk.items) {
        const result = item.delete;
        if (!result) continue;
        if (result.status === 200) deleted += 1;
        // 404: someone else deleted it; 409: rewritten since the search saw it. Neither is ours to delete.
        else if (result.status !== 404 && result.status !== 409) {
          throw new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', `case store (elasticsearch) ${operation}: a delete failed with ${result.status}`, {
            details: { index, status: result.status, reason: result.error?.reason },
          });
        }
      }
      if (hits.length < DELETE_BATCH) return deleted;
      after = hits[hits.length - 1]?.sort;
    }
  } catch (error) {
    throw mapEsError(error, operation, 'write');
  }
}
