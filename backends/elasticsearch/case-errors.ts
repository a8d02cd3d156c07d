import { errors } from '@elastic/elasticsearch';
import { OperationalError, UnexpectedError, UserError, WatchpostError } from '../../core/errors.js';

/** The HTTP status of an Elasticsearch error response, or undefined for transport errors. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof errors.ResponseError ? error.statusCode : undefined;
}

/** The first root-cause reason of an error response: what an operator needs to read. */
function reasonOf(error: errors.ResponseError): string {
  const body = error.body as { error?: { reason?: unknown; root_cause?: { reason?: unknown }[] } } | undefined;
  const reason = body?.error?.root_cause?.[0]?.reason ?? body?.error?.reason;
  return typeof reason === 'string' ? reason : error.message;
}

/**
 * Maps what the Elasticsearch client throws to the error catalogue:
 * - no answer (connection refused, timeout, no living node), 401/403 (credentials), 408, 429 and
 *   5xx, or a missing index → OperationalError WATCHPOST_ERR_STORE_UNAVAILABLE (retry later);
 * - 400 on a read → UserError WATCHPOST_ERR_STORE_INVALID_QUERY (a filter or sort the mapping
 *   cannot answer, e.g. a wildcard on a free-form field);
 * - anything else, including 400 on a write (a record that breaks the mapping, which the types
 *   rule out) → UnexpectedError WATCHPOST_ERR_INTERNAL.
 * Watchpost errors pass through.
 */
export function mapEsError(error: unknown, operation: string, kind: 'read' | 'write'): WatchpostError {
  if (error instanceof WatchpostError) return error;
  const details = { operation };
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 0;
    const reason = reasonOf(error);
    const message = `case store (elasticsearch) ${operation} failed with HTTP ${status}: ${reason}`;
    const type = (error.body as { error?: { type?: unknown } } | undefined)?.error?.type;
    if (status === 401 || status === 403 || status === 408 || status === 429 || status >= 500 || type === 'index_not_found_exception') {
      return new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', message, { cause: error, details: { ...details, status } });
    }
    if (status === 400 && kind === 'read') {
      return new UserError('WATCHPOST_ERR_STORE_INVALID_QUERY', message, { cause: error, details: { ...details, status } });
    }
    return new UnexpectedError('WATCHPOST_ERR_INTERNAL', message, { cause: error, details: { ...details, status } });
  }
  if (
    error instanceof errors.ConnectionError ||
    error instanceof errors.TimeoutError ||
    error instanceof errors.NoLivingConnectionsError ||
    error instanceof errors.ProductNotSupportedError ||
    error instanceof errors.RequestAbortedError
  ) {
    return new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', `case store (elasticsearch) ${operation} failed: ${error.message}`, {
      cause: error,
      details,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new UnexpectedError('WATCHPOST_ERR_INTERNAL', `case store (elasticsearch) ${operation} failed: ${message}`, { cause: error, details });
}
