import type { Static } from '@sinclair/typebox';
import { ErrorBody } from '../../plugins/openapi.js';
import { requireRole } from '../../plugins/require-role.js';
import { assigneeId, contextOf, notFound, TAGS, WRITERS, writeIncident, type RouteGroup } from './context.js';
import { AddTaskBody, ChangeView, IdParams, IfMatchHeaders, TaskParams, UpdateTaskBody } from './schemas.js';

/**
 * An incident's checklist: POST /api/v1/incidents/:id/tasks adds a task (its id is in the
 * answer's incident and in the timeline entry's `data.taskId`), PATCH …/tasks/:taskId changes its
 * title, done flag or assignee (null: unassign), DELETE removes it. An unknown task answers 404.
 */
export const taskRoutes: RouteGroup = (app, deps) => {
  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof AddTaskBody>; Headers: Static<typeof IfMatchHeaders> }>(
    '/api/v1/incidents/:id/tasks',
    {
      config: { roles: WRITERS },
      onRequest: requireRole(...WRITERS),
      schema: { summary: 'Add a task to an incident', tags: TAGS, params: IdParams, headers: IfMatchHeaders, body: AddTaskBody, response: { 201: ChangeView, 409: ErrorBody, 412: ErrorBody } },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const { title, assignee } = request.body;
      const task = { title, ...(assignee !== undefined ? { assignee: await assigneeId(context.cases, assignee) } : {}) };
      const view = await writeIncident(context, request, reply, request.params.id, 'incident.task.add', (current, options) =>
        context.alerting.incidents.addTask(current.id, task, context.actor, options),
      );
      return reply.code(201).send(view);
    },
  );

  app.patch<{ Params: Static<typeof TaskParams>; Body: Static<typeof UpdateTaskBody>; Headers: Static<typeof IfMatchHeaders> }>(
    '/api/v1/incidents/:id/tasks/:taskId',
    {
      config: { roles: WRITERS },
      onRequest: requireRole(...WRITERS),
      schema: { summary: 'Change a task (title, done, assignee)', tags: TAGS, params: TaskParams, headers: IfMatchHeaders, body: UpdateTaskBody, response: { 200: ChangeView, 409: ErrorBody, 412: ErrorBody } },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const { id, taskId } = request.params;
      const { assignee, ...rest } = request.body;
      const changes = { ...rest, ...(assignee !== undefined ? { assignee: assignee === null ? null : await assigneeId(context.cases, assignee) } : {}) };
      return writeIncident(context, request, reply, id, 'incident.task.update', (current, options) => {
        if (!current.tasks.some((task) => task.id === taskId)) throw notFound(`incident ${id} has no task ${taskId}`, { incidentId: id, taskId });
        return context.alerting.incidents.updateTask(current.id, taskId, changes, context.actor, options);
      });
    },
  );

  app.delete<{ Params: Static<typeof TaskParams>; Headers: Static<typeof IfMatchHeaders> }>(
    '/api/v1/incidents/:id/tasks/:taskId',
    {
      config: { roles: WRITERS },
      onRequest: requireRole(...WRITERS),
      schema: { summary: 'Remove a task', tags: TAGS, params: TaskParams, headers: IfMatchHeaders, response: { 200: ChangeView, 409: ErrorBody, 412: ErrorBody } },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const { id, taskId } = request.params;
      return writeIncident(context, request, reply, id, 'incident.task.remove', (current, options) => {
        if (!current.tasks.some((task) => task.id === taskId)) throw notFound(`incident ${id} has no task ${taskId}`, { incidentId: id, taskId });
        return context.alerting.incidents.removeTask(current.id, taskId, context.actor, options);
      });
    },
  );
};
