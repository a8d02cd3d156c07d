import type { Static } from '@sinclair/typebox';
import { recordAudit } from '../audit/record.js';
import { ErrorBody } from '../../plugins/openapi.js';
import { requireRole } from '../../plugins/require-role.js';
import { changeView, checkRevision, contextOf, TAGS, WRITERS, writeOptionsOf, type RouteGroup } from './context.js';
import { ChangeView, CommentBody, IdParams, IfMatchHeaders } from './schemas.js';

/**
 * POST /api/v1/incidents/:id/comments: a comment on the timeline. The body is Markdown kept as
 * the text it was sent (at most MAX_COMMENT_LENGTH characters, and the API's body limit); it is
 * never rendered or sanitised here, so a client must render it escaped. The audit entry holds
 * the comment (a creation: no before).
 */
export const commentRoutes: RouteGroup = (app, deps) => {
  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof CommentBody>; Headers: Static<typeof IfMatchHeaders> }>(
    '/api/v1/incidents/:id/comments',
    {
      config: { roles: WRITERS },
      onRequest: requireRole(...WRITERS),
      schema: {
        summary: 'Comment on an incident (Markdown, stored as text)',
        tags: TAGS,
        params: IdParams,
        headers: IfMatchHeaders,
        body: CommentBody,
        response: { 201: ChangeView, 409: ErrorBody, 412: ErrorBody },
      },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const current = await context.alerting.incidents.get(request.params.id);
      checkRevision(request, current);
      const change = await context.alerting.incidents.comment(current.id, request.body.body, context.actor, writeOptionsOf(request));
      const entry = change.timeline[0];
      if (entry) {
        await recordAudit(context.cases, {
          actor: context.auditActor,
          action: 'incident.comment',
          target: { type: 'incident', id: current.id },
          after: { entryId: entry.id, body: entry.body },
          at: context.clock.now(),
        });
      }
      return reply.code(201).send(changeView(context, reply, change));
    },
  );
};
