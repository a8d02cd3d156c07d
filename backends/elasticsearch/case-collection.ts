import type { Client } from '@elastic/elasticsearch';
import { UserError } from '../../core/errors.js';
import type { FilterNode } from '../../core/query/filter.js';
import type { Collection, ListQuery, Page, Stored } from '../../core/stores/case-store.js';
import { mapEsError, statusOf } from './case-errors.js';
import { errorType } from './case-indices.js';
import { resolveListQuery } from '../../core/stores/list-query.js';
import { deleteWhere, filterQuery, parseRevision, revisionOf, searchPage } from './case-search.js';

/**
 * Conditional writes are not retried by the client: a create or replace that reached
 * Elasticsearch but whose answer was lost would, retried, conflict with itself and be reported as
 * someone else's write. The caller gets an OperationalError instead and decides.
 */
const NO_RETRY = { maxRetries: 0 } as const;

/** The record without its revision, as JSON-safe data (what a later get returns). */
function documentOf<T extends object>(record: T): Record<string, unknown> {
  const { rev: _rev, ...rest } = record as T & { rev?: unknown };
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

/**
 * One collection of the Elasticsearch case store: an index whose documents are the records,
 * `_id` = `id`, with optimistic concurrency on `_seq_no`/`_primary_term`.
 *
 * Writes pass `refresh: 'wait_for'`: they resolve once a refresh has made them searchable, which
 * is what the contract's read-your-writes for `list` needs. Unlike `refresh: true` it does not force a
 * refresh per write: writes arriving together share the next scheduled one (every
 * CASE_REFRESH_INTERVAL), so a burst of alert updates costs Elasticsearch a bounded number of
 * small segments. The price is latency: a write waits up to that interval.
 */
export class ElasticsearchCollection<T extends { readonly id: string }> implements Collection<T> {
  constructor(
    private readonly client: Client,
    private readonly index: string,
  ) {}

  async create(record: T): Promise<Stored<T>> {
    const document = documentOf(record);
    try {
      const response = await this.client.create({ index: this.index, id: record.id, document, refresh: 'wait_for' }, NO_RETRY);
      return { ...(document as T), rev: revisionOf(response) };
    } catch (error) {
      if (statusOf(error) === 409) {
        throw new UserError('WATCHPOST_ERR_STORE_CONFLICT', `${this.index}: a record with id ${record.id} exists`, {
          details: { index: this.index, id: record.id },
        });
      }
      throw mapEsError(error, 'create', 'write');
    }
  }

  /** Realtime: sees every acknowledged write, refreshed or not. */
  async get(id: string): Promise<Stored<T> | undefined> {
    try {
      const response = await this.client.get<T>({ index: this.index, id });
      if (!response.found || !response._source) return undefined;
      return { ...response._source, rev: revisionOf(response) };
    } catch (error) {
      if (statusOf(error) === 404 && errorType(error) === undefined) return undefined;
      throw mapEsError(error, 'get', 'read');
    }
  }

  async replace(record: Stored<T>): Promise<Stored<T>> {
    const document = documentOf(record);
    const revision = parseRevision(record.rev);
    if (revision) {
      try {
        const response = await this.client.index(
          {
            index: this.index,
            id: record.id,
            document,
            if_seq_no: revision.seqNo,
            if_primary_term: revision.primaryTerm,
            refresh: 'wait_for',
          },
          NO_RETRY,
        );
        return { ...(document as T), rev: revisionOf(response) };
      } catch (error) {
        if (statusOf(error) !== 409) throw mapEsError(error, 'replace', 'write');
      }
    }
    // The write was refused (or the revision was never one of ours): tell a stale revision from a deleted record.
    const details = { index: this.index, id: record.id };
    if (await this.get(record.id)) {
      throw new UserError('WATCHPOST_ERR_STORE_CONFLICT', `${this.index}: record ${record.id} changed since revision ${record.rev}`, { details });
    }
    throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `${this.index}: record ${record.id} does not exist`, { details });
  }

  async delete(id: string): Promise<boolean> {
    try {
      const response = await this.client.delete({ index: this.index, id, refresh: 'wait_for' });
      return response.result === 'deleted';
    } catch (error) {
      if (statusOf(error) === 404 && errorType(error) === undefined) return false;
      throw mapEsError(error, 'delete', 'write');
    }
  }

  async list(query: ListQuery = {}): Promise<Page<Stored<T>>> {
    const resolved = resolveListQuery(query, 'createdAt');
    const page = await searchPage(this.client, this.index, resolved);
    return {
      items: page.hits.map((hit) => ({ ...(hit._source as T), rev: revisionOf(hit) })),
      total: page.total,
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  async deleteMatching(filter: FilterNode): Promise<number> {
    return deleteWhere(this.client, this.index, filterQuery({ filter }), 'deleteMatching');
  }
}
