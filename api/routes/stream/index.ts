import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { ErrorBody } from '../../plugins/openapi.js';
import { requireRole } from '../../plugins/require-role.js';
import { toAlertView } from '../alerts/schemas.js';
import type { AlertFeed, AlertFeedEvent } from './feed.js';

export { AlertFeed, type AlertFeedEvent, type AlertFeedOptions } from './feed.js';

/** Limits and timings of the live streams. */
export interface AlertStreamOptions {
  /** Streams open at once in this process; one more answers 429. @defaultValue 100 */
  readonly maxStreams: number;
  /** Streams one principal may hold open at once. @defaultValue 5 */
  readonly maxStreamsPerPrincipal: number;
  /** A comment line this often keeps proxies from closing an idle stream. @defaultValue 15000 */
  readonly heartbeatMs: number;
  /**
   * A stream is closed after this long and the browser reconnects (EventSource does by itself),
   * which authenticates it again: a revoked session or token stops streaming within this time.
   * @defaultValue 900000 (15 minutes)
   */
  readonly maxLifetimeMs: number;
  /** Bytes queued for a client that does not read before its stream is dropped. @defaultValue 1 MiB */
  readonly maxBufferedBytes: number;
}

/** The defaults of {@link AlertStreamOptions}. */
export const DEFAULT_STREAM_OPTIONS: AlertStreamOptions = Object.freeze({
  maxStreams: 100,
  maxStreamsPerPrincipal: 5,
  heartbeatMs: 15_000,
  maxLifetimeMs: 15 * 60_000,
  maxBufferedBytes: 1024 * 1024,
});

/** Options of {@link streamRoutes}. */
export interface StreamRouteOptions {
  /** Absent when this process runs no alerting service: the route then answers 503. */
  readonly feed?: AlertFeed | undefined;
  /** Replays what changed since a reconnecting client's Last-Event-ID. */
  readonly cases?: CaseStore | undefined;
  readonly stream?: Partial<AlertStreamOptions> | undefined;
  /** How old a Last-Event-ID is. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

/** The most alerts replayed to a reconnecting client before it is told to resync instead. */
const MAX_REPLAY = 500;

/** How far back a Last-Event-ID is honoured; older ones get a resync. */
const MAX_REPLAY_AGE_MS = 60 * 60_000;

/** One SSE message. `data` is JSON on one line, so it needs no splitting. */
function message(event: AlertFeedEvent): string {
  if (event.type === 'resync') return 'event: resync\ndata: {}\n\n';
  return `id: ${event.alert.updatedAt}\nevent: alert.${event.type}\ndata: ${JSON.stringify({ type: event.type, alert: toAlertView(event.alert) })}\n\n`;
}

/**
 * GET /api/v1/stream/alerts: Server-Sent Events of the alert queue for viewers and above. Each
 * new or changed alert is an `alert.created` or `alert.updated` event whose data is
 * `{ type, alert }` and whose id is the alert's `updatedAt`; a reconnecting client's
 * Last-Event-ID replays what changed since (within the last hour, at most 500 alerts, else a
 * `resync` event: reload the list). Comment lines every `heartbeatMs` keep the connection open.
 * A request whose Accept admits neither text/event-stream nor every type (a wildcard) answers 406.
 *
 * The stream is written to the raw response (the reply is hijacked): Fastify's serialization and
 * hooks do not apply after the headers, so the headers the security plugin set are copied.
 * Streams are capped per process and per principal (429 past either), closed after
 * `maxLifetimeMs` so a revoked credential stops streaming, dropped when a client stops reading,
 * and ended when the server closes (before it waits for connections to finish).
 */
export async function streamRoutes(app: FastifyInstance, options: StreamRouteOptions): Promise<void> {
  const limits: AlertStreamOptions = { ...DEFAULT_STREAM_OPTIONS, ...options.stream };
  const clock = options.clock ?? SYSTEM_CLOCK;
  const open = new Map<ServerResponse, { principal: string; close: () => void }>();

  app.addHook('preClose', async () => {
    for (const stream of [...open.values()]) stream.close();
  });

  app.get(
    '/api/v1/stream/alerts',
    {
      config: { roles: ['viewer'] },
      onRequest: requireRole('viewer'),
      schema: {
        summary: 'Live updates of the alert queue (Server-Sent Events)',
        description:
          'Events `alert.created` and `alert.updated` with data `{ type, alert }` and the alert updatedAt as id; `resync` when clients should reload. ' +
          'Send Last-Event-ID to replay what changed since (within an hour).',
        tags: ['alerts'],
        querystring: Type.Object({}, { additionalProperties: false }),
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 64 })) }),
        response: {
          200: { description: 'An event stream (text/event-stream).', content: { 'text/event-stream': { schema: Type.String() } } },
          406: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const feed = options.feed;
      if (!feed) return reply.code(503).send({ error: 'unavailable', message: 'this process runs no alerting service' });
      // EventSource sends this; a client that does not ask for a stream (an `inject()` that
      // would wait for the end forever, a script expecting JSON) gets an answer instead of one.
      const accept = request.headers.accept ?? '';
      if (!accept.includes('text/event-stream') && !accept.includes('*/*')) {
        return reply.code(406).send({ error: 'not_acceptable', message: 'this route answers text/event-stream only: send Accept: text/event-stream' });
      }
      const principal = (request.principal as { id: string }).id;
      if (open.size >= limits.maxStreams) {
        return reply.code(429).header('retry-after', '30').send({ error: 'too_many_requests', message: `at most ${limits.maxStreams} live streams at once` });
      }
      if ([...open.values()].filter((stream) => stream.principal === principal).length >= limits.maxStreamsPerPrincipal) {
        return reply
          .code(429)
          .header('retry-after', '30')
          .send({ error: 'too_many_requests', message: `at most ${limits.maxStreamsPerPrincipal} live streams per user or token` });
      }
      const lastEventId = request.headers['last-event-id'];
      const raw = reply.raw;
      reply.hijack();
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        // nginx buffers proxied responses unless told not to.
        'x-accel-buffering': 'no',
      });
      raw.flushHeaders();

      let closed = false;
      const send = (text: string): void => {
        if (closed) return;
        raw.write(text);
        if (raw.writableLength > limits.maxBufferedBytes) {
          request.log.info({ principal }, 'alert stream dropped: the client does not read');
          close();
        }
      };
      const unsubscribe = feed.subscribe((event) => send(message(event)));
      const heartbeat = setInterval(() => send(': heartbeat\n\n'), limits.heartbeatMs);
      const lifetime = setTimeout(() => close(), limits.maxLifetimeMs);
      heartbeat.unref();
      lifetime.unref();
      function close(): void {
        if (closed) return;
        closed = true;
        unsubscribe();
        clearInterval(heartbeat);
        clearTimeout(lifetime);
        open.delete(raw);
        raw.end();
      }
      open.set(raw, { principal, close });
      request.raw.on('close', close);
      raw.on('close', close);
      raw.on('error', close);

      // `retry` tells EventSource how long to wait before reconnecting.
      send(`retry: 3000\nevent: ready\ndata: ${JSON.stringify({ heartbeatMs: limits.heartbeatMs })}\n\n`);
      if (typeof lastEventId === 'string' && options.cases) await replay(lastEventId, options.cases, clock.now(), send, request.log);
    },
  );
}

/** Sends what changed at or after `lastEventId` (an ISO instant), or a resync when that is too much or too old. */
async function replay(
  lastEventId: string,
  cases: CaseStore,
  now: number,
  send: (text: string) => void,
  log: { warn(obj: object, msg: string): void },
): Promise<void> {
  const since = Date.parse(lastEventId);
  if (!Number.isFinite(since) || since < now - MAX_REPLAY_AGE_MS) {
    send(message({ type: 'resync' }));
    return;
  }
  try {
    const page = await cases.alerts.list({ filter: { op: 'range', field: 'updatedAt', gte: new Date(since).toISOString() }, sort: 'updatedAt', order: 'asc', limit: MAX_REPLAY });
    if (page.nextCursor !== undefined) {
      send(message({ type: 'resync' }));
      return;
    }
    for (const alert of page.items) send(message({ type: 'updated', alert }));
  } catch (error) {
    log.warn({ err: error }, 'alert stream replay failed; client told to resync');
    send(message({ type: 'resync' }));
  }
}
