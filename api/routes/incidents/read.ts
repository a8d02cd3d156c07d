import type { Static } from '@sinclair/typebox';
import { and, type FilterNode } from '../../../core/query/filter.js';
import { requireRole } from '../../plugins/require-role.js';
import { contextOf, etagOf, READERS, TAGS, viewOf, type RouteGroup } from './context.js';
import { IdParams, IncidentDetail, MAX_LINKED_ALERTS_SHOWN, TimelinePage, TimelineQuery, toAlertSummary, toTimelineView } from './schemas.js';

function eqExact(field: string, value: string): FilterNode {
  return { op: 'eq', field, value, caseSensitive: true };
}

/** GET /api/v1/incidents/:id (with SLA clocks and linked alerts) and its timeline, paged. */
export const readRoutes: RouteGroup = (app, deps) => {
  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/incidents/:id',
    {
      config: { roles: READERS },
      onRequest: requireRole(...READERS),
      schema: {
        summary: 'Get an incident with its SLA clocks and linked alerts (the ETag is its revision)',
        tags: TAGS,
        params: IdParams,
        response: { 200: IncidentDetail },
      },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const incident = await context.alerting.incidents.get(request.params.id);
      // The alert records say where they are linked; newest activity first.
      const alerts = await context.cases.alerts.list({ filter: eqExact('incidentId', incident.id), sort: 'lastSeen', order: 'desc', limit: MAX_LINKED_ALERTS_SHOWN });
      void reply.header('etag', etagOf(incident));
      return { ...viewOf(context, incident), alerts: alerts.items.map(toAlertSummary), alertsTotal: alerts.total };
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof TimelineQuery> }>(
    '/api/v1/incidents/:id/timeline',
    {
      config: { roles: READERS },
      onRequest: requireRole(...READERS),
      schema: {
        summary: 'An incident’s timeline: status changes, comments, linked alerts, tasks, SLA warnings (oldest first by default)',
        tags: TAGS,
        params: IdParams,
        querystring: TimelineQuery,
        response: { 200: TimelinePage },
      },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const { kind, order, limit, cursor } = request.query;
      // 404 for an unknown incident rather than an empty timeline.
      const incident = await context.alerting.incidents.get(request.params.id);
      const page = await context.cases.timeline.list({
        filter: and(eqExact('incidentId', incident.id), ...(kind !== undefined ? [eqExact('kind', kind)] : [])),
        sort: 'at',
        order,
        limit,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      return { items: page.items.map(toTimelineView), total: page.total, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
    },
  );
};
