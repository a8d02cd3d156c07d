import type { Static } from '@sinclair/typebox';
import type { Incident, TimelineEntry } from '../../../core/cases/types.js';
import { timeOrderedId } from '../../../core/ids.js';
import type { Stored } from '../../../core/stores/case-store.js';
import { modify } from '../../../core/stores/modify.js';
import type { IncidentChange } from '../../../engine/alerting/index.js';
import { ErrorBody } from '../../plugins/openapi.js';
import { requireRole } from '../../plugins/require-role.js';
import { assigneeId, auditChange, changeView, checkRevision, contextOf, TAGS, WRITERS, type RequestContext, type RouteGroup } from './context.js';
import { ChangeView, CreateBody, IdParams, IfMatchHeaders, UpdateBody } from './schemas.js';

type Edits = Pick<UpdateBody, 'title' | 'severity'>;

/**
 * Title and severity: the alerting engine has no operation for them, so they are written here,
 * with one timeline entry each (kind `action`, `data.field` naming what changed). With
 * `If-Match` the write is a single compare-and-set on the revision the client read (a race
 * answers 409); without it, it applies to the latest revision.
 */
async function editFields(context: RequestContext, current: Stored<Incident>, edits: Edits, strict: boolean): Promise<IncidentChange> {
  const nowMs = context.clock.now();
  const nowIso = new Date(nowMs).toISOString();
  let base: Incident = current;
  const apply = (latest: Stored<Incident>): Incident => {
    base = latest;
    return { ...latest, ...(edits.title !== undefined ? { title: edits.title } : {}), ...(edits.severity !== undefined ? { severity: edits.severity } : {}), updatedAt: nowIso };
  };
  const incident = strict ? await context.cases.incidents.replace({ ...apply(current), rev: current.rev }) : await modify(context.cases.incidents, current.id, apply);
  const entries: TimelineEntry[] = [];
  for (const field of ['title', 'severity'] as const) {
    const to = edits[field];
    if (to === undefined || to === base[field]) continue;
    const entry: TimelineEntry = {
      id: timeOrderedId(nowMs),
      incidentId: current.id,
      at: nowIso,
      actor: context.actor,
      kind: 'action',
      body: field === 'title' ? `Title changed to "${to}"` : `Severity ${base.severity} → ${to}`,
      data: { field, from: base[field], to },
    };
    entries.push(await context.cases.timeline.append(entry));
  }
  return { incident, timeline: entries };
}

/** POST /api/v1/incidents (open one by hand) and PATCH /api/v1/incidents/:id (title, severity, assignee, tags). */
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
        response: { 200: ChangeView, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const { incidents } = context.alerting;
      const body = request.body;
      const before = await incidents.get(request.params.id);
      checkRevision(request, before);
      // Everything is checked before the first write, so a refused request changes nothing.
      const assignee = body.assignee === undefined ? undefined : body.assignee === null ? null : await assigneeId(context.cases, body.assignee);
      const timeline: TimelineEntry[] = [];
      let incident = before;
      if ((body.title !== undefined && body.title !== before.title) || (body.severity !== undefined && body.severity !== before.severity)) {
        const change = await editFields(context, before, body, request.headers['if-match'] !== undefined);
        timeline.push(...change.timeline);
        incident = change.incident;
      }
      if (assignee !== undefined) {
        const change = await incidents.assign(before.id, assignee ?? undefined, context.actor);
        timeline.push(...change.timeline);
        incident = change.incident;
      }
      if (body.tags !== undefined) {
        const wanted = body.tags;
        const latest = await incidents.get(before.id);
        const change = await incidents.tag(before.id, { add: wanted.filter((tag) => !latest.tags.includes(tag)), remove: latest.tags.filter((tag) => !wanted.includes(tag)) }, context.actor);
        timeline.push(...change.timeline);
        incident = change.timeline.length > 0 ? change.incident : latest;
      }
      const change: IncidentChange = { incident, timeline };
      await auditChange(context, 'incident.update', before, change);
      return changeView(context, reply, change);
    },
  );
};
