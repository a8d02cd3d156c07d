import type { Static } from '@sinclair/typebox';
import { UserError } from '../../../core/errors.js';
import { and, type FilterNode } from '../../../core/query/filter.js';
import { OPEN_STATUSES } from '../../../engine/alerting/index.js';
import { requireRole } from '../../plugins/require-role.js';
import { contextOf, READERS, TAGS, type RequestContext, type RouteGroup } from './context.js';
import { IncidentPage, ListQuery, toIncidentView, type IncidentView } from './schemas.js';

/** Incidents one SLA-filtered request reads at most before it answers with what it found and a cursor. */
export const MAX_SLA_SCAN = 5_000;
/** Store round trips one SLA-filtered request makes at most (a sparse filter must not spin). */
const MAX_SLA_ROUNDS = 20;

function eqExact(field: string, value: string): FilterNode {
  return { op: 'eq', field, value, caseSensitive: true };
}

function anyOf(field: string, values: readonly string[]): FilterNode {
  return values.length === 1 ? eqExact(field, values[0] as string) : { op: 'or', children: values.map((value) => eqExact(field, value)) };
}

/** The UTC instant of an ISO-8601 date or date-time; one without an offset is UTC (as GET /api/v1/events reads it). */
export function instantOf(value: string, name: string): number {
  const iso = value.replace(' ', 'T');
  const ms = Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`);
  if (!Number.isFinite(ms)) throw new UserError('WATCHPOST_ERR_STORE_INVALID_QUERY', `${name} is not an ISO-8601 instant: ${value}`);
  return ms;
}

/** The store filter of a list query (everything but `sla`, which is derived and applied after reading). */
export function filterOf(query: ListQuery): FilterNode | undefined {
  const filters: FilterNode[] = [];
  if (query.status !== undefined && query.status.length > 0) filters.push(anyOf('status', query.status));
  // Only open incidents have a running clock, so only they can be in warning.
  if (query.sla === 'warning') filters.push(anyOf('status', OPEN_STATUSES));
  if (query.severity !== undefined && query.severity.length > 0) filters.push(anyOf('severity', query.severity));
  if (query.assignee !== undefined) filters.push(eqExact('assignee', query.assignee.toLowerCase()));
  if (query.unassigned === true) filters.push({ op: 'not', child: { op: 'exists', field: 'assignee' } });
  if (query.unassigned === false) filters.push({ op: 'exists', field: 'assignee' });
  if (query.tag !== undefined) filters.push(eqExact('tags', query.tag));
  if (query.entity !== undefined) filters.push({ op: 'or', children: [eqExact('entity.value', query.entity), eqExact('observables.value', query.entity)] });
  const from = query.from !== undefined ? instantOf(query.from, 'from') : undefined;
  const to = query.to !== undefined ? instantOf(query.to, 'to') : undefined;
  if (from !== undefined && to !== undefined && to < from) throw new UserError('WATCHPOST_ERR_STORE_INVALID_QUERY', '`to` is before `from`');
  if (from !== undefined || to !== undefined) {
    filters.push({
      op: 'range',
      field: 'createdAt',
      ...(from !== undefined ? { gte: new Date(from).toISOString() } : {}),
      ...(to !== undefined ? { lt: new Date(to).toISOString() } : {}),
    });
  }
  return filters.length > 0 ? and(...filters) : undefined;
}

/**
 * One page filtered by SLA state. The clocks are derived from timestamps at read time (never
 * stored), so no store can filter on them: store pages are read and filtered here. Each store
 * page asks for no more than the items still missing, so a page is never cut in the middle and
 * the store's cursor stays exact; a request stops after {@link MAX_SLA_SCAN} incidents or a few
 * round trips and answers what it found with the cursor to go on (a page may then hold fewer
 * than `limit` items, or none, and still have a `nextCursor`).
 */
async function slaPage(context: RequestContext, query: ListQuery, filter: FilterNode | undefined): Promise<Static<typeof IncidentPage>> {
  const wanted = query.sla as 'breached' | 'warning';
  const items: IncidentView[] = [];
  let cursor = query.cursor;
  let scanned = 0;
  let rounds = 0;
  do {
    const page = await context.cases.incidents.list({
      ...(filter ? { filter } : {}),
      sort: query.sort,
      order: query.order,
      limit: query.limit - items.length,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    scanned += page.items.length;
    rounds += 1;
    for (const incident of page.items) {
      const sla = context.alerting.slaOf(incident);
      if (sla[wanted]) items.push(toIncidentView(incident, sla));
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined && items.length < query.limit && scanned < MAX_SLA_SCAN && rounds < MAX_SLA_ROUNDS);
  return { items, ...(cursor !== undefined ? { nextCursor: cursor } : {}) };
}

/** GET /api/v1/incidents: filtered, sorted, paged by cursor, each incident with its SLA clocks now. */
export const listRoutes: RouteGroup = (app, deps) => {
  app.get<{ Querystring: ListQuery }>(
    '/api/v1/incidents',
    {
      config: { roles: READERS },
      onRequest: requireRole(...READERS),
      schema: {
        summary: 'List incidents (filters: status, severity, assignee, tag, entity, SLA state, creation time)',
        tags: TAGS,
        querystring: ListQuery,
        response: { 200: IncidentPage },
      },
    },
    async (request, reply) => {
      const context = await contextOf(deps, request, reply);
      if (!context) return reply;
      const query = request.query;
      const filter = filterOf(query);
      if (query.sla !== undefined) return slaPage(context, query, filter);
      const page = await context.cases.incidents.list({
        ...(filter ? { filter } : {}),
        sort: query.sort,
        order: query.order,
        limit: query.limit,
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
      return {
        items: page.items.map((incident) => toIncidentView(incident, context.alerting.slaOf(incident))),
        total: page.total,
        ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}),
      };
    },
  );
};
