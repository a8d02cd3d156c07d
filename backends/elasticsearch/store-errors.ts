import { errors } from '@elastic/elasticsearch';
import { OperationalError, UserError, type WatchpostError } from '../../core/errors.js';

/** The `type: reason` of an Elasticsearch error body, digging into the root cause. */
export function elasticReason(body: unknown): string {
  const error = (body as { error?: unknown } | undefined)?.error;
  if (typeof error === 'string') return error;
  const root = (error as { root_cause?: { type?: string; reason?: string }[] } | undefined)?.root_cause?.[0];
  const top = error as { type?: string; reason?: string } | undefined;
  const cause = root ?? top;
  return cause ? `${cause.type ?? 'error'}: ${cause.reason ?? ''}` : 'unknown error';
}

/**
 * Translates what the client threw into the error catalogue: a 400 on a read is the query's
 * fault (UserError), 429 is backpressure, anything else (connection refused, timeout, 5xx, auth)
 * means the cluster cannot serve us now (OperationalError). Non-client errors pass through.
 */
export function toStoreError(error: unknown, operation: string): unknown {
  if (error instanceof errors.ResponseError) {
    const status = error.meta.statusCode ?? 0;
    const reason = elasticReason(error.meta.body);
    const details = { operation, status };
    if (status === 400) return new UserError('WATCHPOST_ERR_STORE_INVALID_QUERY', `Elasticsearch refused the ${operation}: ${reason}`, { cause: error, details });
    if (status === 429) {
      return new OperationalError('WATCHPOST_ERR_STORE_BACKPRESSURE', `Elasticsearch is overloaded (429) on ${operation}: ${reason}`, { cause: error, details });
    }
    return new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', `Elasticsearch ${operation} failed with ${status}: ${reason}`, { cause: error, details });
  }
  if (error instanceof errors.ElasticsearchClientError) {
    return new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', `Elasticsearch ${operation} failed: ${error.message}`, {
      cause: error,
      details: { operation },
    });
  }
  return error;
}

/** Runs a client call, translating its failure with {@link toStoreError}. */
export async function guarded<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toStoreError(error, operation) as WatchpostError;
  }
}
