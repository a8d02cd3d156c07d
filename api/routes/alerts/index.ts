import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Alert, Role } from '../../../core/cases/types.js';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import { UserError } from '../../../core/errors.js';
import type { CaseStore, Stored } from '../../../core/stores/case-store.js';
import type { EventStore } from '../../../core/stores/event-store.js';
import type { AlertingService } from '../../../engine/alerting/index.js';
import type { Principal } from '../../plugins/auth-guard.js';
import { requireRole } from '../../plugins/require-role.js';
import { principalUserId } from '../users/principal.js';
import { AlertOperations, type Actor } from './operations.js';
import { alertsFilter } from './query.js';
import { registerAlertStats } from './stats.js';
import {
  AlertDetail,
  AlertEventsQuery,
  AlertEventsResponse,
  AlertIdParams,
  AlertPage,
  AlertsQuery,
  BulkAssignBody,
  BulkLinkBody,
  BulkResponse,
  BulkStatusBody,
  toAlertView,
} from './schemas.js';

export { AlertView, toAlertView, MAX_ALERTS_PAGE, MAX_BULK_ALERTS } from './schemas.js';

/** Options of {@link alertsRoutes}. */
export interface AlertsRouteOptions {
  /** Absent when this process has no case store: every route then answers 503. */
  readonly cases?: CaseStore | undefined;
  /** The engine's hand operations (linking); without it the bulk routes answer 503. */
  readonly alerting?: AlertingService | undefined;
  /** Where GET /alerts/{id}/events reads the triggering events; without it that route answers 503. */
  readonly events?: EventStore | undefined;
  /** Told about every alert a bulk request changed (the live stream). */
  readonly changed?: ((alerts: readonly Stored<Alert>[]) => void) | undefined;
  /** @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

const VIEWERS = ['viewer'] as const satisfies readonly Role[];
const TRIAGERS = ['analyst'] as const satisfies readonly Role[];
const TAGS = ['alerts'];

/** Event store reads in flight at once for one request. */
const EVENT_FETCH_CONCURRENCY = 16;

function unavailable(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(503).send({ error: 'unavailable', message: `this process has no ${what}` });
}

async function actorOf(request: FastifyRequest, cases: CaseStore): Promise<Actor> {
  const principal = request.principal as Principal;
  return { principalId: principal.id, userId: (await principalUserId(principal, cases)) ?? principal.id };
}

async function getAlert(cases: CaseStore, id: string): Promise<Stored<Alert>> {
  const alert = await cases.alerts.get(id);
  if (!alert) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no alert ${id}`);
  return alert;
}

/**
 * The alert queue under /api/v1/alerts. Viewers list (filters, KQL over alert fields, cursor
 * paging), read one with why it fired (rule, its author as the DRL requires, selections, matched
 * values, event ids) and read its triggering events from the event store. Analysts triage in
 * bulk, with a result per alert: status (a verdict to close), assignment, linking to an incident;
 * every change is audited and written on the linked incident's timeline.
 */
export async function alertsRoutes(app: FastifyInstance, options: AlertsRouteOptions): Promise<void> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const operations =
    options.cases && options.alerting
      ? new AlertOperations({ cases: options.cases, incidents: options.alerting.incidents, clock, changed: options.changed ?? (() => undefined) })
      : undefined;

  app.get<{ Querystring: Static<typeof AlertsQuery> }>(
    '/api/v1/alerts',
    {
      config: { roles: VIEWERS },
      onRequest: requireRole(...VIEWERS),
      schema: { summary: 'List alerts (filters, KQL over alert fields, cursor paging)', tags: TAGS, querystring: AlertsQuery, response: { 200: AlertPage } },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const { sort, order, limit, cursor, ...criteria } = request.query;
      const filter = alertsFilter(criteria);
      const page = await cases.alerts.list({ ...(filter ? { filter } : {}), sort, order, limit, ...(cursor !== undefined ? { cursor } : {}) });
      return { items: page.items.map(toAlertView), total: page.total, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
    },
  );

  registerAlertStats(app, () => options.cases, clock);

  app.get<{ Params: Static<typeof AlertIdParams> }>(
    '/api/v1/alerts/:id',
    {
      config: { roles: VIEWERS },
      onRequest: requireRole(...VIEWERS),
      schema: { summary: 'Get an alert and why it fired', tags: TAGS, params: AlertIdParams, response: { 200: AlertDetail } },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const alert = await getAlert(cases, request.params.id);
      const incident = alert.incidentId !== undefined ? await cases.incidents.get(alert.incidentId) : undefined;
      return {
        alert: toAlertView(alert),
        explanation: {
          rule: { id: alert.ruleId, title: alert.ruleTitle, ...(alert.ruleAuthor !== undefined ? { author: alert.ruleAuthor } : {}) },
          selections: [...alert.explanation.selections],
          matches: alert.explanation.matches.map((match) => ({ field: match.field, value: match.value })),
          ...(alert.explanation.correlation !== undefined ? { correlation: alert.explanation.correlation } : {}),
          entities: alert.entities,
          eventIds: [...alert.eventIds],
          eventIdsTruncated: alert.count > alert.eventIds.length,
        },
        ...(incident ? { incident: { id: incident.id, title: incident.title, status: incident.status, severity: incident.severity } } : {}),
      };
    },
  );

  app.get<{ Params: Static<typeof AlertIdParams>; Querystring: Static<typeof AlertEventsQuery> }>(
    '/api/v1/alerts/:id/events',
    {
      config: { roles: VIEWERS },
      onRequest: requireRole(...VIEWERS),
      schema: {
        summary: 'The events that triggered an alert (newest kept ids first)',
        tags: TAGS,
        params: AlertIdParams,
        querystring: AlertEventsQuery,
        response: { 200: AlertEventsResponse },
      },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const events = options.events;
      if (!events) return unavailable(reply, 'event store');
      const alert = await getAlert(cases, request.params.id);
      const ids = [...alert.eventIds].reverse().slice(0, request.query.limit);
      const found: Record<string, unknown>[] = [];
      const missing: string[] = [];
      for (let start = 0; start < ids.length; start += EVENT_FETCH_CONCURRENCY) {
        const chunk = ids.slice(start, start + EVENT_FETCH_CONCURRENCY);
        const fetched = await Promise.all(chunk.map((id) => events.get(id)));
        fetched.forEach((event, index) => {
          if (event) found.push(event as unknown as Record<string, unknown>);
          else missing.push(chunk[index] as string);
        });
      }
      return { events: found, missing, eventIdsTruncated: alert.count > alert.eventIds.length };
    },
  );

  app.post<{ Body: Static<typeof BulkStatusBody> }>(
    '/api/v1/alerts/bulk/status',
    {
      config: { roles: TRIAGERS },
      onRequest: requireRole(...TRIAGERS),
      schema: {
        summary: 'Change the status of alerts (a verdict to close); a result per alert',
        tags: TAGS,
        body: BulkStatusBody,
        response: { 200: BulkResponse },
      },
    },
    async (request, reply) => {
      if (!operations || !options.cases) return unavailable(reply, 'alerting service');
      const { ids, status, verdict } = request.body;
      return operations.setStatus(ids, status, verdict, await actorOf(request, options.cases));
    },
  );

  app.post<{ Body: Static<typeof BulkAssignBody> }>(
    '/api/v1/alerts/bulk/assign',
    {
      config: { roles: TRIAGERS },
      onRequest: requireRole(...TRIAGERS),
      schema: { summary: 'Assign or unassign alerts; a result per alert', tags: TAGS, body: BulkAssignBody, response: { 200: BulkResponse } },
    },
    async (request, reply) => {
      if (!operations || !options.cases) return unavailable(reply, 'alerting service');
      return operations.assign(request.body.ids, request.body.assignee, await actorOf(request, options.cases));
    },
  );

  app.post<{ Body: Static<typeof BulkLinkBody> }>(
    '/api/v1/alerts/bulk/link',
    {
      config: { roles: TRIAGERS },
      onRequest: requireRole(...TRIAGERS),
      schema: { summary: 'Link alerts to an incident (moving them from another); a result per alert', tags: TAGS, body: BulkLinkBody, response: { 200: BulkResponse } },
    },
    async (request, reply) => {
      if (!operations || !options.cases) return unavailable(reply, 'alerting service');
      return operations.link(request.body.ids, request.body.incidentId, await actorOf(request, options.cases));
    },
  );
}
