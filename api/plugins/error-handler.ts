import type { FastifyError, FastifyInstance } from 'fastify';
import { WatchpostError } from '../../core/errors.js';

const STATUS_BY_CODE: Partial<Record<string, number>> = {
  WATCHPOST_ERR_STORE_NOT_FOUND: 404,
  WATCHPOST_ERR_STORE_CONFLICT: 409,
  WATCHPOST_ERR_RUN_SELF_APPROVAL: 403,
  WATCHPOST_ERR_PLAYBOOK_NOT_FOUND: 404,
};

/** The `error` word of a 4xx, so clients can branch on it without knowing every code. */
const ERROR_BY_STATUS: Partial<Record<number, string>> = { 403: 'forbidden', 404: 'not_found', 409: 'conflict' };

/**
 * Maps errors to one stable JSON shape `{ error, code?, message, problems? }`: user errors to 4xx
 * with their problems, operational ones to 503, anything else to 500 without internals.
 */
export async function errorHandler(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError | WatchpostError, request, reply) => {
    if (error instanceof WatchpostError) {
      const status = STATUS_BY_CODE[error.code] ?? (error.intent === 'user' ? 400 : error.intent === 'operational' ? 503 : 500);
      if (status >= 500) request.log.warn({ err: error, code: error.code }, 'request failed');
      return reply.code(status).send({ error: status >= 500 ? 'unavailable' : (ERROR_BY_STATUS[status] ?? 'bad_request'), code: error.code, message: error.message, problems: error.problems });
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'unexpected error in request');
      return reply.code(500).send({ error: 'internal', message: 'internal error' });
    }
    return reply.code(status).send({ error: error.code ?? 'bad_request', message: error.message });
  });
}
(errorHandler as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
