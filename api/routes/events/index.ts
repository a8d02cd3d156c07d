import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import type { EventStore } from '../../../core/stores/event-store.js';
import { requireRole } from '../../plugins/require-role.js';
import { eventAggregationRoutes } from './aggregations.js';
import { EventsError, eventQueryOf, instantSchema, KqlParam } from './query.js';

/** Options of {@link eventsRoutes}. */
export interface EventsRouteOptions {
  /** Absent when this process has no event store: the route then answers 503. */
  readonly events?: EventStore | undefined;
  /** For the default time range. @defaultValue the system clock */
  readonly clock?: Clock;
}

export { DEFAULT_RANGE_MS, EventsError } from './query.js';

/** The largest page the API returns (the stores allow more; a browser needs no more). */
export const MAX_API_PAGE_SIZE = 1000;

/** The query string of GET /api/v1/events. */
export const EventsQuery = Type.Object(
  {
    q: KqlParam,
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

/**
 * GET /api/v1/events?q=<kql>&from=&to=&size=&cursor=&order=: one page of the event store's search,
 * newest first by default, for the role `viewer` and above. A query that does not parse answers
 * 400 with the parser's message, `line` and `column` (1-based); a bad cursor or field answers
 * 400 through the error handler. The aggregations (terms, histogram) are in ./aggregations.ts.
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
      const range = eventQueryOf(query, clock, reply);
      if (!range) return reply;
      const page = await store.search({
        ...range,
        size: query.size,
        order: query.order,
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
      return reply.code(200).send(page);
    },
  );
  await app.register(eventAggregationRoutes, { events: options.events, clock });
}
