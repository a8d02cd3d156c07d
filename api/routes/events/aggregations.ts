import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../../core/clock.js';
import type { EventStore } from '../../../core/stores/event-store.js';
import { requireRole } from '../../plugins/require-role.js';
import { EventsError, eventQueryOf, instantSchema, KqlParam } from './query.js';

/** Options of {@link eventAggregationRoutes}. */
export interface EventAggregationRouteOptions {
  /** Absent when this process has no event store: the routes then answer 503. */
  readonly events: EventStore | undefined;
  readonly clock: Clock;
}

/** The most values a terms request returns (the stores allow more; a chart shows fewer). */
export const MAX_API_TERMS = 100;
/** The most buckets a histogram answers (a chart needs no more; the stores refuse far more). */
export const MAX_API_BUCKETS = 2_000;
/** The finest histogram interval. */
export const MIN_INTERVAL_MS = 1_000;
/** About this many buckets when no interval is given. */
export const TARGET_BUCKETS = 60;
/** Aggregations scan every matching event of the range: at most this long a range. */
export const MAX_AGGREGATION_RANGE_MS = 400 * 86_400_000;

/** The intervals picked when none is given, finest first. */
const NICE_INTERVALS_MS = [1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400, 30 * 86_400].map((s) => s * 1000);

const ROLES = ['viewer'] as const;
const TAGS = ['events'];

/** A field name: dotted letters, digits, `_` and `@`, as ECS spells them. */
const Field = Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9_@][A-Za-z0-9_@.]*$', description: 'The ECS field, e.g. source.ip.' });

const TermsQuery = Type.Object(
  {
    field: Field,
    q: KqlParam,
    from: Type.Optional(instantSchema('Start, inclusive, ISO-8601. Default: 24 hours before `to`.')),
    to: Type.Optional(instantSchema('End, exclusive, ISO-8601. Default: now.')),
    size: Type.Integer({ minimum: 1, maximum: MAX_API_TERMS, default: 10 }),
  },
  { additionalProperties: false },
);

const TermsResponse = Type.Object({
  field: Type.String(),
  from: Type.String(),
  to: Type.String(),
  buckets: Type.Array(Type.Object({ value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]), count: Type.Integer() }), {
    description: 'Most frequent first, ties by value; events without the field are in no bucket.',
  }),
});

const HistogramQuery = Type.Object(
  {
    q: KqlParam,
    from: Type.Optional(instantSchema('Start, inclusive, ISO-8601. Default: 24 hours before `to`.')),
    to: Type.Optional(instantSchema('End, exclusive, ISO-8601. Default: now.')),
    interval: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,9}(ms|s|m|h|d)$',
        description: `A duration such as 30s, 5m, 1h or 1d; at least 1s and at most ${MAX_API_BUCKETS} buckets over the range. Default: about ${TARGET_BUCKETS} buckets.`,
      }),
    ),
  },
  { additionalProperties: false },
);

const HistogramResponse = Type.Object({
  from: Type.String(),
  to: Type.String(),
  intervalMs: Type.Integer(),
  buckets: Type.Array(Type.Object({ start: Type.String({ description: 'The bucket start, ISO-8601 UTC.' }), count: Type.Integer() }), {
    description: 'Every interval of the range, oldest first, empty ones with count 0; aligned to multiples of the interval since the epoch.',
  }),
});

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30s`, `5m`, `1h` → milliseconds (the schema has checked the form). */
export function intervalMs(text: string): number {
  const found = /^(\d+)(ms|s|m|h|d)$/.exec(text) as RegExpExecArray;
  return Number(found[1]) * UNIT_MS[found[2] as keyof typeof UNIT_MS];
}

/** The finest nice interval giving at most {@link TARGET_BUCKETS} buckets over the range. */
export function autoInterval(rangeMs: number): number {
  return NICE_INTERVALS_MS.find((ms) => rangeMs / ms <= TARGET_BUCKETS) ?? Math.ceil(rangeMs / TARGET_BUCKETS / 86_400_000) * 86_400_000;
}

/**
 * GET /api/v1/events/terms and GET /api/v1/events/histogram: the event store's terms and date
 * histogram aggregations over a KQL query and time range, for the role `viewer` and above, within
 * limits (values, buckets, range) that keep one request from scanning without end. A query that
 * does not parse answers 400 with its line and column, as the search does.
 */
export async function eventAggregationRoutes(app: FastifyInstance, options: EventAggregationRouteOptions): Promise<void> {
  const tooLong = (from: Date, to: Date): string | undefined =>
    to.getTime() - from.getTime() > MAX_AGGREGATION_RANGE_MS ? `the range is limited to ${MAX_AGGREGATION_RANGE_MS / 86_400_000} days for aggregations` : undefined;

  app.get<{ Querystring: Static<typeof TermsQuery> }>(
    '/api/v1/events/terms',
    {
      config: { roles: ROLES },
      onRequest: requireRole(...ROLES),
      schema: {
        summary: 'The most frequent values of a field among matching events',
        tags: TAGS,
        querystring: TermsQuery,
        response: { 200: TermsResponse, 400: EventsError, 503: EventsError },
      },
    },
    async (request, reply) => {
      const store = options.events;
      if (!store) return reply.code(503).send({ error: 'unavailable', message: 'this process has no event store' });
      const query = eventQueryOf(request.query, options.clock, reply);
      if (!query) return reply;
      const refused = tooLong(query.from, query.to);
      if (refused) return reply.code(400).send({ error: 'bad_request', message: refused });
      const buckets = await store.terms({ ...query, field: request.query.field, size: request.query.size });
      return { field: request.query.field, from: query.from.toISOString(), to: query.to.toISOString(), buckets };
    },
  );

  app.get<{ Querystring: Static<typeof HistogramQuery> }>(
    '/api/v1/events/histogram',
    {
      config: { roles: ROLES },
      onRequest: requireRole(...ROLES),
      schema: {
        summary: 'Counts of matching events per interval',
        tags: TAGS,
        querystring: HistogramQuery,
        response: { 200: HistogramResponse, 400: EventsError, 503: EventsError },
      },
    },
    async (request, reply) => {
      const store = options.events;
      if (!store) return reply.code(503).send({ error: 'unavailable', message: 'this process has no event store' });
      const query = eventQueryOf(request.query, options.clock, reply);
      if (!query) return reply;
      const refused = tooLong(query.from, query.to);
      if (refused) return reply.code(400).send({ error: 'bad_request', message: refused });
      const fromMs = query.from.getTime();
      const toMs = query.to.getTime();
      const interval = request.query.interval !== undefined ? intervalMs(request.query.interval) : autoInterval(toMs - fromMs);
      if (interval < MIN_INTERVAL_MS) return reply.code(400).send({ error: 'bad_request', message: `the interval must be at least ${MIN_INTERVAL_MS / 1000}s` });
      const first = Math.floor(fromMs / interval) * interval;
      const count = Math.ceil((toMs - first) / interval);
      if (count > MAX_API_BUCKETS) {
        return reply.code(400).send({ error: 'bad_request', message: `the interval gives ${count} buckets over the range; at most ${MAX_API_BUCKETS}: use a longer interval or a shorter range` });
      }
      const found = new Map((await store.dateHistogram({ ...query, intervalMs: interval })).map((bucket) => [bucket.start, bucket.count]));
      // The store leaves out the empty buckets before the first event and after the last; a chart wants them all.
      const buckets = Array.from({ length: count }, (_, i) => {
        const start = first + i * interval;
        return { start: new Date(start).toISOString(), count: found.get(start) ?? 0 };
      });
      return { from: query.from.toISOString(), to: query.to.toISOString(), intervalMs: interval, buckets };
    },
  );
}
