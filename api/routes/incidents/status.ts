import type { Static } from '@sinclair/typebox';
import { ErrorBody } from '../../plugins/openapi.js';
import { requireRole } from '../../plugins/require-role.js';
import { contextOf, TAGS, WRITERS, writeIncident, type RouteGroup } from './context.js';
import { ChangeView, IdParams, IfMatchHeaders, StatusBody } from './schemas.js';

/**
 * POST /api/v1/incidents/:id/status: the lifecycle move. The engine's rules apply (see
 * applyStatus): closing needs a verdict unless the incident was resolved with one (400,
 * WATCHPOST_ERR_CASE_INVALID), closing closes the linked alerts with that verdict, reopening
 * clears the verdict. Moving to the status it already has changes nothing and is not audited.
 */
export const statusRoutes: RouteGroup = (app, deps) => {
  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof StatusBody>; Headers: Static<typeof IfMatchHeaders> }>(
    '/api/v1/incidents/:id/status',
    {
      config: { roles: WRITERS },
      onRequest: requireRole(...WRITERS),
      schema: {
        summary: 'Move an incident to a status (closing needs a verdict)',
        tags: TAGS,
        params: IdParams,
        headers: IfMatchHeaders,
        body: StatusBody,
        response: { 200: ChangeView, 409: ErrorBody, 412: ErrorBody },
      },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const { status, verdict } = request.body;
      return writeIncident(context, request, reply, request.params.id, 'incident.status', (current, options) =>
        context.alerting.incidents.setStatus(current.id, status, context.actor, { ...options, ...(verdict !== undefined ? { verdict } : {}) }),
      );
    },
  );
};
