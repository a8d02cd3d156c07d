import type { Static } from '@sinclair/typebox';
import { UserError } from '../../../core/errors.js';
import { requireRole } from '../../plugins/require-role.js';
import { contextOf, READERS, type RouteGroup } from './context.js';
import { instantOf } from './list.js';
import { ResponseMetricsQuery, ResponseReportView } from './schemas.js';

const DAY_MS = 86_400_000;
/** The range when `from` is not given: the last 30 days. */
export const DEFAULT_RESPONSE_RANGE_MS = 30 * DAY_MS;
/** The longest range one request may cover: the figures are computed by reading every incident in it. */
export const MAX_RESPONSE_RANGE_MS = 366 * DAY_MS;

/**
 * GET /api/v1/metrics/response?from=&to=: MTTA, MTTR and SLA breach counts of the incidents
 * created in [from, to), overall and per severity (the engine's responseFigures; breaches as of
 * now). Readers may see it, like the incidents it summarises.
 */
export const responseMetricsRoutes: RouteGroup = (app, deps) => {
  app.get<{ Querystring: Static<typeof ResponseMetricsQuery> }>(
    '/api/v1/metrics/response',
    {
      config: { roles: READERS },
      onRequest: requireRole(...READERS),
      schema: {
        summary: 'Incident response figures: MTTA, MTTR and SLA breaches over a time range, per severity',
        tags: ['incidents', 'metrics'],
        querystring: ResponseMetricsQuery,
        response: { 200: ResponseReportView },
      },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const to = request.query.to !== undefined ? instantOf(request.query.to, 'to') : context.clock.now();
      const from = request.query.from !== undefined ? instantOf(request.query.from, 'from') : to - DEFAULT_RESPONSE_RANGE_MS;
      if (to <= from) throw new UserError('WATCHPOST_ERR_STORE_INVALID_QUERY', '`to` must be after `from`');
      if (to - from > MAX_RESPONSE_RANGE_MS) throw new UserError('WATCHPOST_ERR_STORE_INVALID_QUERY', `a range covers at most ${MAX_RESPONSE_RANGE_MS / DAY_MS} days`);
      return context.alerting.responseFigures({ from: new Date(from), to: new Date(to) });
    },
  );
};
