import { errors } from '@elastic/elasticsearch';
import { UnexpectedError, WatchpostError } from '../../core/errors.js';
import { elasticReason, toStoreError } from './store-errors.js';

/** The HTTP status of an Elasticsearch error response, or undefined for transport errors. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof errors.ResponseError ? error.statusCode : undefined;
}

/**
 * Maps what the Elasticsearch client throws to the error catalogue, as the event store does
 * (store-errors.ts: 400 → INVALID_QUERY, 429 → BACKPRESSURE, no answer / 5xx / auth / missing
 * index → UNAVAILABLE), with one difference: a 400 on a write is not the caller's query but a
 * record that breaks the case mappings, which the record types rule out, so it is a bug
 * (WATCHPOST_ERR_INTERNAL). Watchpost errors pass through.
 */
export function mapEsError(error: unknown, operation: string, kind: 'read' | 'write'): WatchpostError {
  if (error instanceof WatchpostError) return error;
  if (kind === 'write' && statusOf(error) === 400) {
    const reason = elasticReason((error as errors.ResponseError).meta.body);
    return new UnexpectedError('WATCHPOST_ERR_INTERNAL', `case store ${operation}: Elasticsearch refused the record: ${reason}`, {
      cause: error,
      details: { operation, status: 400 },
    });
  }
  const mapped = toStoreError(error, `case store ${operation}`);
  if (mapped instanceof WatchpostError) return mapped;
  const message = error instanceof Error ? error.message : String(error);
  return new UnexpectedError('WATCHPOST_ERR_INTERNAL', `case store ${operation} failed: ${message}`, { cause: error, details: { operation } });
}
