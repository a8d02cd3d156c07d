import type { Static } from '@sinclair/typebox';
import type { Incident } from '../../../core/cases/types.js';
import { UserError } from '../../../core/errors.js';
import type { Stored } from '../../../core/stores/case-store.js';
import { ErrorBody } from '../../plugins/openapi.js';
import { requireRole } from '../../plugins/require-role.js';
import { auditChange, auditIncident, changeView, checkRevision, contextOf, TAGS, viewOf, WRITERS, writeIncident, writeOptionsOf, type RouteGroup } from './context.js';
import { AlertIdsBody, ChangeView, IdParams, IfMatchHeaders, MergeBody, SplitBody, SplitView } from './schemas.js';

/**
 * Which alerts belong to which incident, by hand: link (an alert linked elsewhere moves here),
 * unlink, merge other incidents into this one, split alerts off into a new one. Unknown alerts
 * or incidents named in the body answer 400 (WATCHPOST_ERR_CASE_INVALID); the incident in the
 * path answers 404. Every incident changed gets its own audit entry.
 */
export const groupingRoutes: RouteGroup = (app, deps) => {
  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof AlertIdsBody>; Headers: Static<typeof IfMatchHeaders> }>(
    '/api/v1/incidents/:id/alerts/link',
    {
      config: { roles: WRITERS },
      onRequest: requireRole(...WRITERS),
      schema: { summary: 'Link alerts to an incident (moving them from their incidents)', tags: TAGS, params: IdParams, headers: IfMatchHeaders, body: AlertIdsBody, response: { 200: ChangeView, 409: ErrorBody, 412: ErrorBody } },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      return writeIncident(context, request, reply, request.params.id, 'incident.link', (current, options) =>
        context.alerting.incidents.linkAlerts(current.id, request.body.alertIds, context.actor, options),
      );
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof AlertIdsBody>; Headers: Static<typeof IfMatchHeaders> }>(
    '/api/v1/incidents/:id/alerts/unlink',
    {
      config: { roles: WRITERS },
      onRequest: requireRole(...WRITERS),
      schema: { summary: 'Unlink alerts from an incident', tags: TAGS, params: IdParams, headers: IfMatchHeaders, body: AlertIdsBody, response: { 200: ChangeView, 409: ErrorBody, 412: ErrorBody } },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      return writeIncident(context, request, reply, request.params.id, 'incident.unlink', (current, options) =>
        context.alerting.incidents.unlinkAlerts(current.id, request.body.alertIds, context.actor, options),
      );
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof MergeBody>; Headers: Static<typeof IfMatchHeaders> }>(
    '/api/v1/incidents/:id/merge',
    {
      config: { roles: WRITERS },
      onRequest: requireRole(...WRITERS),
      schema: {
        summary: 'Merge incidents into this one (their alerts, observables, tags and tasks move here; each is closed as merged)',
        tags: TAGS,
        params: IdParams,
        headers: IfMatchHeaders,
        body: MergeBody,
        response: { 200: ChangeView, 409: ErrorBody, 412: ErrorBody },
      },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const { incidents } = context.alerting;
      const target = await incidents.get(request.params.id);
      checkRevision(request, target);
      const sources: Stored<Incident>[] = [];
      for (const sourceId of request.body.incidentIds) {
        const source = await context.cases.incidents.get(sourceId);
        if (!source) throw new UserError('WATCHPOST_ERR_CASE_INVALID', `no incident ${sourceId} to merge`, { details: { incidentId: sourceId } });
        sources.push(source);
      }
      const change = await incidents.merge(
        target.id,
        sources.map((source) => source.id),
        context.actor,
        writeOptionsOf(request),
      );
      await auditChange(context, 'incident.merge', target, change);
      for (const source of sources) {
        const after = await incidents.get(source.id);
        if (after.rev !== source.rev) await auditIncident(context, 'incident.merge', source, after);
      }
      return changeView(context, reply, change);
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof SplitBody>; Headers: Static<typeof IfMatchHeaders> }>(
    '/api/v1/incidents/:id/split',
    {
      config: { roles: WRITERS },
      onRequest: requireRole(...WRITERS),
      schema: {
        summary: 'Split alerts off an incident into a new one',
        tags: TAGS,
        params: IdParams,
        headers: IfMatchHeaders,
        body: SplitBody,
        response: { 201: SplitView, 409: ErrorBody, 412: ErrorBody },
      },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const { incidents } = context.alerting;
      const before = await incidents.get(request.params.id);
      checkRevision(request, before);
      const { alertIds, title } = request.body;
      const result = await incidents.split(before.id, alertIds, { ...writeOptionsOf(request), ...(title !== undefined ? { title } : {}) }, context.actor);
      await auditChange(context, 'incident.split', before, result.original);
      await auditChange(context, 'incident.split', undefined, result.created);
      const original = changeView(context, reply, result.original);
      return reply.code(201).header('location', `/api/v1/incidents/${encodeURIComponent(result.created.incident.id)}`).send({
        original,
        created: { incident: viewOf(context, result.created.incident), timeline: result.created.timeline.map((entry) => ({ ...entry })) },
      });
    },
  );
};
