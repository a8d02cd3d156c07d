import type { Static } from '@sinclair/typebox';
import { ErrorBody } from '../../plugins/openapi.js';
import { requireRole } from '../../plugins/require-role.js';
import { contextOf, notFound, TAGS, WRITERS, writeIncident, type RouteGroup } from './context.js';
import { ChangeView, IdParams, IfMatchHeaders, ObservableKeyQuery, ObservableSchema } from './schemas.js';

/**
 * An incident's observables: POST /api/v1/incidents/:id/observables adds one (201; the same
 * type and value again changes nothing and answers 200), DELETE …/observables?type=&value=
 * removes one (404 when the incident has none such). The value is in the query, not the path:
 * it may be a URL and up to 4 KiB long.
 */
export const observableRoutes: RouteGroup = (app, deps) => {
  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof ObservableSchema>; Headers: Static<typeof IfMatchHeaders> }>(
    '/api/v1/incidents/:id/observables',
    {
      config: { roles: WRITERS },
      onRequest: requireRole(...WRITERS),
      schema: {
        summary: 'Add an observable to an incident',
        tags: TAGS,
        params: IdParams,
        headers: IfMatchHeaders,
        body: ObservableSchema,
        response: { 200: ChangeView, 201: ChangeView, 409: ErrorBody, 412: ErrorBody },
      },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const view = await writeIncident(context, request, reply, request.params.id, 'incident.observable.add', (current, options) =>
        context.alerting.incidents.addObservable(current.id, request.body, context.actor, options),
      );
      return reply.code(view.timeline.length > 0 ? 201 : 200).send(view);
    },
  );

  app.delete<{ Params: Static<typeof IdParams>; Querystring: Static<typeof ObservableKeyQuery>; Headers: Static<typeof IfMatchHeaders> }>(
    '/api/v1/incidents/:id/observables',
    {
      config: { roles: WRITERS },
      onRequest: requireRole(...WRITERS),
      schema: {
        summary: 'Remove an observable from an incident (by type and value)',
        tags: TAGS,
        params: IdParams,
        headers: IfMatchHeaders,
        querystring: ObservableKeyQuery,
        response: { 200: ChangeView, 409: ErrorBody, 412: ErrorBody },
      },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const { type, value } = request.query;
      return writeIncident(context, request, reply, request.params.id, 'incident.observable.remove', (current, options) => {
        if (!current.observables.some((o) => o.type === type && o.value === value)) throw notFound(`incident ${current.id} has no observable ${type} ${value}`, { incidentId: current.id });
        return context.alerting.incidents.removeObservable(current.id, { type, value }, context.actor, options);
      });
    },
  );
};
