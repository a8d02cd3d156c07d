import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Clock } from '../../../core/clock.js';
import type { HttpIngestConfig } from '../../../core/config/ingest.js';
import type { RawRecord, RecordSink } from '../../../core/ingest/record.js';
import { requireRole } from '../../plugins/require-role.js';
import { readBody } from './body.js';
import { splitBody, type BodyFormat, type RejectReason } from './events.js';
import { TokenBucketLimiter } from './rate-limit.js';
import { clientEventId, formatAddress, MAX_CLIENT_ID_LENGTH, recordOf, type RequestOrigin } from './records.js';

/** What HTTP ingest needs: where accepted records go, and its config slice. */
export interface IngestDependencies {
  readonly sink: RecordSink;
  readonly config: Readonly<HttpIngestConfig>;
}

/** Options of {@link ingestRoutes}. */
export interface IngestRouteOptions {
  /** Absent when this process runs no pipeline: the route then answers 503. */
  readonly ingest?: IngestDependencies | undefined;
  /** For the rate limiter. @defaultValue the system clock */
  readonly clock?: Clock;
}

/** The body of a 202 (and of a 400 when every event was refused). */
export const IngestResponse = Type.Object({
  accepted: Type.Integer({ description: 'Events handed to the pipeline and durable.' }),
  rejected: Type.Array(
    Type.Object({
      index: Type.Integer({ description: 'Array index, or 0-based line number for NDJSON.' }),
      reason: Type.String({ description: 'invalid_json, not_an_object, too_large or invalid_id.' }),
    }),
  ),
});

/** The body of every refusal as a whole (401, 403, 413, 415, 429, 503). */
export const IngestError = Type.Object({ error: Type.String(), message: Type.String() });

const FORMATS: Readonly<Record<string, BodyFormat>> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
};

/** Seconds a client should wait when the pipeline refused a batch (it is stopping or stuck). */
const UNAVAILABLE_RETRY_SECONDS = 5;

function formatOf(request: FastifyRequest): BodyFormat | undefined {
  const contentType = request.headers['content-type'];
  return typeof contentType === 'string' ? FORMATS[contentType.split(';')[0]?.trim().toLowerCase() ?? ''] : undefined;
}

// requireRole runs first and answers 401 without a principal, so one is always there.
function principalIdOf(request: FastifyRequest): string {
  return request.principal?.id ?? '';
}

function rateLimited(reply: FastifyReply, retryAfterMs: number, count: number, burst: number): FastifyReply {
  if (!Number.isFinite(retryAfterMs)) {
    return reply.code(413).send({ error: 'too_many_events', message: `${count} events exceed the token's burst of ${burst}; send smaller batches` });
  }
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return reply
    .code(429)
    .header('retry-after', String(seconds))
    .send({ error: 'rate_limited', message: `rate limit of this token exceeded; retry in ${seconds} s` });
}

/**
 * POST /api/v1/ingest: events from agents and monitors, for tokens with the `ingest` (or
 * `admin`) role. The body is NDJSON (`application/x-ndjson`) or JSON (`application/json`: an array
 * of objects or one object), optionally `Content-Encoding: gzip`, at most `maxBodyBytes` decoded
 * and `maxEventsPerRequest` events. Each event is an object of at most 64 KiB; bad ones are
 * refused one by one with their index while the rest are accepted. Zabbix and Nagios/Icinga
 * alerts are mapped to ECS alerts (monitors.ts); other objects are stored as sent.
 *
 * The answer (202 `{ accepted, rejected }`) comes only after the pipeline made the batch durable,
 * so an acknowledged event is never lost; if the pipeline refuses, the answer is 503 and nothing
 * of the request was acknowledged (retrying it is safe: client event ids make it idempotent).
 * Each token has a token bucket of `ratePerSecond` events with `burst` (429 with Retry-After).
 */
export async function ingestRoutes(app: FastifyInstance, options: IngestRouteOptions): Promise<void> {
  const ingest = options.ingest;
  const limiter = ingest
    ? new TokenBucketLimiter({ ratePerSecond: ingest.config.ratePerSecond, burst: ingest.config.burst, ...(options.clock ? { clock: options.clock } : {}) })
    : undefined;
  const maxBytes = ingest?.config.maxBodyBytes ?? 0;
  const maxEvents = ingest?.config.maxEventsPerRequest ?? 0;

  // This plugin's own parsers (encapsulated: other routes keep Fastify's): the body is read as a
  // stream so that gzip is decoded under our byte cap, and split into events in the handler, so
  // that one bad event is refused on its own.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(Object.keys(FORMATS), async (request: FastifyRequest, payload: NodeJS.ReadableStream) =>
    readBody(payload as Readable, {
      encoding: request.headers['content-encoding'],
      declaredLength: request.headers['content-length'],
      maxBytes,
    }),
  );

  // Before the body is read: a request that will be refused anyway costs no decoding.
  const gate = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (!limiter) return reply.code(503).send({ error: 'unavailable', message: 'this process runs no ingest pipeline' });
    const check = limiter.check(principalIdOf(request), 1);
    return check.ok ? undefined : rateLimited(reply, check.retryAfterMs, 1, limiter.burst);
  };

  app.post(
    '/api/v1/ingest',
    {
      config: { roles: ['ingest', 'admin'] },
      onRequest: [requireRole('ingest', 'admin'), gate],
      schema: {
        summary: 'Send events (NDJSON or JSON, optionally gzip)',
        tags: ['ingest'],
        response: { 202: IngestResponse, 400: Type.Union([IngestResponse, IngestError]), 413: IngestError, 415: IngestError, 429: IngestError, 503: IngestError },
      },
    },
    async (request, reply) => {
      if (!ingest || !limiter) return reply.code(503).send({ error: 'unavailable', message: 'this process runs no ingest pipeline' });
      const format = formatOf(request);
      if (format === undefined || !Buffer.isBuffer(request.body)) {
        return reply.code(415).send({ error: 'unsupported_media_type', message: 'send application/x-ndjson or application/json' });
      }
      const items = splitBody(request.body, format, maxEvents);
      if (items.length > maxEvents) {
        return reply.code(413).send({ error: 'too_many_events', message: `at most ${maxEvents} events per request` });
      }

      const principalId = principalIdOf(request);
      const peer = formatAddress(request.socket.remoteAddress, request.socket.remotePort);
      const listener = formatAddress(request.socket.localAddress, request.socket.localPort);
      const origin: RequestOrigin = {
        principalId,
        receivedAt: Date.now(),
        ...(peer !== undefined ? { peer } : {}),
        ...(listener !== undefined ? { listener } : {}),
      };
      const records: RawRecord[] = [];
      const rejected: { index: number; reason: RejectReason }[] = [];
      for (const item of items) {
        if ('reason' in item) {
          rejected.push({ index: item.index, reason: item.reason });
          continue;
        }
        const clientId = clientEventId(item.object);
        if (clientId !== undefined && clientId.length > MAX_CLIENT_ID_LENGTH) {
          rejected.push({ index: item.index, reason: 'invalid_id' });
          continue;
        }
        records.push(recordOf(item.object, item.text, origin));
      }

      if (records.length > 0) {
        const taken = limiter.take(principalId, records.length);
        if (!taken.ok) return rateLimited(reply, taken.retryAfterMs, records.length, limiter.burst);
        try {
          await ingest.sink.accept(records);
        } catch (error) {
          // Nothing of this request is acknowledged, so the client will send it again: do not
          // charge it twice.
          limiter.refund(principalId, records.length);
          request.log.warn({ err: error, principal: principalId, events: records.length }, 'ingest pipeline refused a batch');
          return reply
            .code(503)
            .header('retry-after', String(UNAVAILABLE_RETRY_SECONDS))
            .send({ error: 'unavailable', message: 'the events were not accepted; retry later' });
        }
      }
      request.log.debug({ principal: principalId, accepted: records.length, rejected: rejected.length }, 'ingest request');
      return reply.code(records.length === 0 && rejected.length > 0 ? 400 : 202).send({ accepted: records.length, rejected });
    },
  );
}
