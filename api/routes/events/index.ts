import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import type { EventStore } from '../../../core/stores/event-store.js';
import { kqlErrorPosition, MAX_KQL_BYTES, parseKql } from '../../../engine/query/kql.js';
import { requireRole } from '../../plugins/require-role.js';

/** Options of {@link eventsRoutes}. */
export interface EventsRouteOptions {
  /** Absent when this process has no event store: the route then answers 503. */
  readonly events?: EventStore | undefined;
  /** For the default time range. @defaultValue the system clock */
  readonly clock?: Clock;
}

/** The range searched when `from` is not given: the last 24 hours, as `watchpost search` does. */
export const DEFAULT_RANGE_MS = 24 * 3_600_000;

/** The largest page the API returns (the stores allow more; a browser needs no more). */
export const MAX_API_PAGE_SIZE = 1000;

/** An instant: an ISO-8601 date or date-time (UTC without an offset). */
const instantSchema = (description: string) => Type.String({ minLength: 10, maxLength: 40, pattern: '^\\d{4}-\\d{2}-\\d{2}', description });

/** The query string of GET /api/v1/events. */
export const EventsQuery = Type.Object(
  {
    q: Type.String({ default: '', maxLength: MAX_KQL_BYTES, description: 'A KQL query (docs/search.md); empty matches all.' }),
    from: Type.Optional(instantSchema('Start, inclusive, ISO-8601. Default: 24 hours before `to`.')),
    to: Type.Optional(instantSchema('End, exclusive, ISO-8601. Default: now.')),
    size: Type.Integer({ minimum: 1, maximum: MAX_API_PAGE_SIZE, default: 100 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'The nextCursor of the previous page.' })),
    order: Type.Union([Type.Literal('desc'), Type.Literal('asc')], { default: 'desc' }),
  },
  { additionalProperties: false },
);

/** The body of a 200: one page of events. */
export const EventsResponse = Type.Object({
  events: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  total: Type.Integer({ description: 'Matches of the query: exact up to 10 000, then a lower bound.' }),
  nextCursor: Type.Optional(Type.String()),
});

/** The body of a 400 for a query that does not parse, with where. */
export const EventsError = Type.Object({
  error: Type.String(),
  code: Type.Optional(Type.String()),
  message: Type.String(),
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.Integer()),
});

/** The UTC instant of an ISO-8601 date or date-time; one without an offset is UTC, as the CLI reads it. */
function instant(value: string): number {
  const iso = value.replace(' ', 'T');
  return Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`);
}

/**
 * GET /api/v1/events?q=<kql>&from=&to=&size=&cursor=&order=: one page of the event store's search,
 * newest first by default, for the role `viewer` and above. A query that does not parse answers
 * 400 with the parser's message, `line` and `column` (1-based); a bad cursor or field answers
 * 400 through the error handler.
 */
export async function eventsRoutes(app: FastifyInstance, options: EventsRouteOptions): Promise<void> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  app.get<{ Querystring: Static<typeof EventsQuery> }>(
    '/api/v1/events',
    {
      config: { roles: ['viewer'] },
      onRequest: requireRole('viewer'),
      schema: {
        summary: 'Search events with KQL',
        tags: ['events'],
        querystring: EventsQuery,
        response: { 200: EventsResponse, 400: EventsError, 503: EventsError },
      },
    },
    async (request, reply) => {
      const store = options.events;
      if (!store) return reply.code(503).send({ error: 'unavailable', message: 'this process has no event store' });
      const query = request.query;
      let filter;
      try {
        filter = parseKql(query.q);
      } catch (error) {
        const position = kqlErrorPosition(error);
        if (position === undefined) throw error;
        return reply.code(400).send({ error: 'bad_request', code: 'WATCHPOST_ERR_QUERY_SYNTAX', message: (error as Error).message, ...position });
      }
      const to = query.to === undefined ? clock.now() : instant(query.to);
      const from = query.from === undefined ? to - DEFAULT_RANGE_MS : instant(query.from);
      if (Number.isNaN(from) || Number.isNaN(to)) {
        return reply.code(400).send({ error: 'bad_request', message: `cannot read ${Number.isNaN(from) ? 'from' : 'to'} as an ISO-8601 date or date-time` });
      }
      if (from >= to) return reply.code(400).send({ error: 'bad_request', message: 'from must be before to' });
      const page = await store.search({
        from: new Date(from),
        to: new Date(to),
        ...(filter.op === 'and' && filter.children.length === 0 ? {} : { filter }),
        size: query.size,
        order: query.order,
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
      return reply.code(200).send(page);
    },
  );
}
