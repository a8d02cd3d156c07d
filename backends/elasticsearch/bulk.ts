import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import { setTimeout as sleep } from 'node:timers/promises';
import { OperationalError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { RejectedEvent } from '../../core/stores/event-store.js';
import { elasticReason, toStoreError } from './store-errors.js';

/**
 * Bulk `create` with per-item outcomes, after the lessons of esbulk and Logstash (see
 * shared/reference/reliability.md §2): an HTTP 200 may hide failed items, so every item is read.
 *
 * - 200/201: written. 409 on `create` with our deterministic `_id`: already stored, a duplicate;
 *   this is what makes a retried batch idempotent.
 * - 400 and 413: permanent (mapping conflict, too large): `rejected`, with Elasticsearch's reason.
 * - anything else (429, 5xx, a blocked index): only those items are sent again, with exponential
 *   backoff and full jitter, up to `maxRetries`; then an OperationalError (BACKPRESSURE when the
 *   last refusals were 429s), and the caller retries the whole batch later, safely.
 */

/** One document to create. */
export interface BulkItem {
  readonly index: string;
  readonly id: string;
  /** The document, serialized once. */
  readonly source: string;
}

/** Options of {@link bulkCreate}. */
export interface BulkOptions {
  readonly maxRetries: number;
  /** First backoff ceiling; doubles per retry up to {@link MAX_BACKOFF_MS}. */
  readonly retryBaseMs: number;
  readonly logger: Logger;
}

/** The per-batch outcome, as AppendResult counts it. */
export interface BulkOutcome {
  written: number;
  duplicates: number;
  readonly rejected: RejectedEvent[];
}

/** The longest single backoff. */
export const MAX_BACKOFF_MS = 10_000;

/** Bulk requests are cut at this many bytes of documents, well under http.max_content_length. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/** Sends the items, chunked by size, and classifies every outcome. */
export async function bulkCreate(client: Client, items: readonly BulkItem[], options: BulkOptions): Promise<BulkOutcome> {
  const outcome: BulkOutcome = { written: 0, duplicates: 0, rejected: [] };
  for (const chunk of chunks(items)) await sendWithRetries(client, chunk, options, outcome);
  return outcome;
}

function* chunks(items: readonly BulkItem[]): Generator<BulkItem[]> {
  let chunk: BulkItem[] = [];
  let bytes = 0;
  for (const item of items) {
    if (chunk.length > 0 && bytes + item.source.length > MAX_REQUEST_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += item.source.length + item.id.length + item.index.length + 64;
  }
  if (chunk.length > 0) yield chunk;
}

async function sendWithRetries(client: Client, items: readonly BulkItem[], options: BulkOptions, outcome: BulkOutcome): Promise<void> {
  let pending = items;
  for (let attempt = 0; ; attempt++) {
    const { retry, lastStatus, lastReason } = await sendOnce(client, pending, outcome);
    if (retry.length === 0) return;
    if (attempt >= options.maxRetries) {
      const backpressure = lastStatus === 429;
      throw new OperationalError(
        backpressure ? 'WATCHPOST_ERR_STORE_BACKPRESSURE' : 'WATCHPOST_ERR_STORE_UNAVAILABLE',
        `Elasticsearch refused ${retry.length} of ${items.length} events after ${attempt + 1} attempts (last: ${lastStatus} ${lastReason})`,
        { details: { pending: retry.length, status: lastStatus } },
      );
    }
    // Full jitter: a random wait up to the exponential ceiling, so many writers spread out.
    const ceiling = Math.min(MAX_BACKOFF_MS, options.retryBaseMs * 2 ** attempt);
    const wait = Math.floor(Math.random() * ceiling);
    options.logger.warn({ pending: retry.length, status: lastStatus, attempt: attempt + 1, waitMs: wait }, 'bulk items refused, retrying');
    await sleep(wait);
    pending = retry;
  }
}

interface Attempt {
  readonly retry: BulkItem[];
  readonly lastStatus: number;
  readonly lastReason: string;
}

async function sendOnce(client: Client, items: readonly BulkItem[], outcome: BulkOutcome): Promise<Attempt> {
  const operations: (estypes.BulkOperationContainer | string)[] = [];
  for (const item of items) operations.push({ create: { _index: item.index, _id: item.id } }, item.source);
  let response: estypes.BulkResponse;
  try {
    // filter_path keeps the response small: large partial-failure bodies cost memory.
    response = await client.bulk({ operations, filter_path: 'errors,items.*.status,items.*.error' });
  } catch (error) {
    // The whole request was refused: 429 or 5xx means every item may be retried.
    if (error instanceof errors.ResponseError && (error.meta.statusCode === 429 || (error.meta.statusCode ?? 0) >= 500)) {
      return { retry: [...items], lastStatus: error.meta.statusCode ?? 0, lastReason: elasticReason(error.meta.body) };
    }
    throw toStoreError(error, 'bulk');
  }
  if (response.items.length !== items.length) {
    throw new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', `bulk answered ${response.items.length} items for ${items.length} sent`);
  }
  const retry: BulkItem[] = [];
  let lastStatus = 0;
  let lastReason = '';
  response.items.forEach((entry, index) => {
    const item = items[index] as BulkItem;
    const result = entry.create ?? Object.values(entry)[0];
    const status = result?.status ?? 0;
    const reason = result?.error ? `${result.error.type}: ${result.error.reason ?? ''}` : '';
    if (status === 200 || status === 201) outcome.written += 1;
    else if (status === 409) outcome.duplicates += 1;
    else if (status === 400 || status === 413) {
      outcome.rejected.push({ id: item.id, reason: rejectionReason(status, result?.error?.type), detail: reason });
    } else {
      retry.push(item);
      lastStatus = status;
      lastReason = reason;
    }
  });
  return { retry, lastStatus, lastReason };
}

const MAPPING_ERRORS = new Set(['mapper_parsing_exception', 'document_parsing_exception', 'strict_dynamic_mapping_exception', 'illegal_argument_exception']);

function rejectionReason(status: number, type: string | undefined): string {
  if (status === 413) return 'too_large';
  return type !== undefined && MAPPING_ERRORS.has(type) ? 'mapping_conflict' : 'rejected';
}
