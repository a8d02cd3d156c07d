import type { Client } from '@elastic/elasticsearch';
import { UnexpectedError } from '../../core/errors.js';
import type { AppendOnlyLog, ListQuery, Page } from '../../core/stores/case-store.js';
import { mapEsError, statusOf } from './case-errors.js';
import { errorType } from './case-indices.js';
import { resolveListQuery } from '../../core/stores/list-query.js';
import { deleteWhere, searchPage } from './case-search.js';

/** `Date.prototype.toISOString()` output, the form every log entry's `at` has (core/cases/types.ts). */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/**
 * An append-only log of the Elasticsearch case store: an index written only with
 * `op_type=create`, so an entry, once written, is never overwritten through this class.
 *
 * Elasticsearch has no triggers: any client with write access to the index can update or delete
 * its documents, so append-only is enforced by this API alone: it has no update and no single delete, and retention
 * deletes only entries older than the cutoff. Restrict the index privileges of other clients
 * (e.g. a role with `create_doc` but not `index`/`delete`) where that matters.
 */
export class ElasticsearchAppendOnlyLog<T extends { readonly id: string; readonly at: string }> implements AppendOnlyLog<T> {
  constructor(
    private readonly client: Client,
    private readonly index: string,
  ) {}

  /**
   * Idempotent: `op_type=create` refuses an id that exists (409) and the stored entry is read and
   * returned instead. That also makes the client's own retries safe here.
   */
  async append(entry: T): Promise<T> {
    if (typeof entry.at !== 'string' || !ISO_UTC.test(entry.at) || Number.isNaN(Date.parse(entry.at))) {
      throw new UnexpectedError('WATCHPOST_ERR_INTERNAL', `${this.index}: entry "at" must be an ISO-8601 UTC timestamp, got ${JSON.stringify(entry.at)}`);
    }
    const document = JSON.parse(JSON.stringify(entry)) as T;
    // Two rounds at most: a 409 whose entry retention removed before we could read it is written again.
    for (let round = 0; round < 2; round++) {
      try {
        await this.client.create({ index: this.index, id: entry.id, document, refresh: 'wait_for' });
        return document;
      } catch (error) {
        if (statusOf(error) !== 409) throw mapEsError(error, 'append', 'write');
      }
      const existing = await this.stored(entry.id);
      if (existing) return existing;
    }
    throw new UnexpectedError('WATCHPOST_ERR_INTERNAL', `${this.index}: entry ${entry.id} is neither writable nor readable`);
  }

  private async stored(id: string): Promise<T | undefined> {
    try {
      const response = await this.client.get<T>({ index: this.index, id });
      return response.found ? response._source : undefined;
    } catch (error) {
      if (statusOf(error) === 404 && errorType(error) === undefined) return undefined;
      throw mapEsError(error, 'append', 'read');
    }
  }

  async list(query: ListQuery = {}): Promise<Page<T>> {
    const resolved = resolveListQuery(query, 'at');
    const page = await searchPage(this.client, this.index, resolved);
    return {
      items: page.hits.map((hit) => hit._source as T),
      total: page.total,
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  async deleteOlderThan(cutoff: Date): Promise<number> {
    return deleteWhere(this.client, this.index, { range: { at: { lt: cutoff.toISOString() } } }, 'deleteOlderThan');
  }
}
