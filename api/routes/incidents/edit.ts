import type { Static } from '@sinclair/typebox';
import { ErrorBody } from '../../plugins/openapi.js';
import { requireRole } from '../../plugins/require-role.js';
import { assigneeId, auditChange, changeView, checkRevision, contextOf, TAGS, WRITERS, writeOptionsOf, type RouteGroup } from './context.js';
import { ChangeView, CreateBody, IdParams, IfMatchHeaders, UpdateBody } from './schemas.js';

/**
 * POST /api/v1/incidents (open one by hand) and PATCH /api/v1/incidents/:id (title, severity,
 * assignee, tags). A PATCH is one engine write (Incidents.update): every field it names changes,
 * or none does; title and severity each write an `action` timeline entry with `data.field`,
 * `from` and `to`. With `If-Match` the write is a compare-and-set on that revision (412 when it is
 * stale or someone else writes first).
 */
export const editRoutes: RouteGroup = (app, deps) => {
  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/v1/incidents',
    {
      config: { roles: WRITERS },
      onRequest: requireRole(...WRITERS),
      schema: {
        summary: 'Open an incident by hand, optionally with alerts (moved from their incidents)',
        tags: TAGS,
        body: CreateBody,
        response: { 201: ChangeView },
      },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const { assignee, ...rest } = request.body;
      const change = await context.alerting.incidents.create({ ...rest, ...(assignee !== undefined ? { assignee: await assigneeId(context.cases, assignee) } : {}) }, context.actor);
      await auditChange(context, 'incident.create', undefined, change);
      const view = changeView(context, reply, change);
      return reply.code(201).header('location', `/api/v1/incidents/${encodeURIComponent(change.incident.id)}`).send(view);
    },
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: UpdateBody; Headers: Static<typeof IfMatchHeaders> }>(
    '/api/v1/incidents/:id',
    {
      config: { roles: WRITERS },
      onRequest: requireRole(...WRITERS),
      schema: {
        summary: 'Change an incident’s title, severity, assignee (null: unassign) or tags (the full set)',
        tags: TAGS,
        params: IdParams,
        headers: IfMatchHeaders,
        body: UpdateBody,
        response: { 200: ChangeView, 409: ErrorBody, 412: ErrorBody },
      },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const { incidents } = context.alerting;
      const body = request.body;
      const before = await incidents.get(request.params.id);
      checkRevision(request, before);
      // Everything is checked before the write, so a refused request changes nothing.
      const assignee = body.assignee === undefined ? undefined : body.assignee === null ? null : await assigneeId(context.cases, body.assignee);
      const change = await incidents.update(
        before.id,
        {
          ...(body.title !== undefined ? { title: body.title } : {}),
          ...(body.severity !== undefined ? { severity: body.severity } : {}),
          ...(assignee !== undefined ? { assignee } : {}),
          ...(body.tags !== undefined ? { tags: body.tags } : {}),
        },
        context.actor,
        writeOptionsOf(request),
      );
      await auditChange(context, 'incident.update', before, change);
      return changeView(context, reply, change);
    },
  );
};
