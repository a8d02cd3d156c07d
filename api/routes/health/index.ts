import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { BackendHealth } from '../../../core/stores/event-store.js';

/** A backend the health route probes. */
export interface ProbedBackend {
  /** The technology: sqlite, elasticsearch, redis, memory. */
  readonly kind: string;
  health(): Promise<BackendHealth>;
}

/** The backends of this process by concern (events, cases, queue, correlation). */
export type HealthSource = Readonly<Record<string, ProbedBackend>>;

const BackendState = Type.Object({
  kind: Type.String(),
  state: Type.Union([Type.Literal('up'), Type.Literal('degraded'), Type.Literal('down')]),
  detail: Type.Optional(Type.String()),
});

/** The body of GET /api/health. */
export const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('down')]),
  version: Type.String(),
  uptimeSeconds: Type.Number(),
  backends: Type.Record(Type.String(), BackendState),
});

const PROBE_TIMEOUT_MS = 3000;

async function probe(backend: ProbedBackend): Promise<BackendHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<BackendHealth>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'down', detail: `no answer within ${PROBE_TIMEOUT_MS} ms` }), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([backend.health(), timeout]);
  } catch (error) {
    return { state: 'down', detail: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /api/health: open to all (load balancers and monitors probe it), answers 200 when every
 * backend is up or degraded and 503 when one is down, with each backend's kind and state. It
 * reveals no data, only technologies and states.
 */
export async function healthRoutes(app: FastifyInstance, options: { version: string; health: HealthSource }): Promise<void> {
  const started = Date.now();
  app.get(
    '/api/health',
    { config: { public: true }, schema: { summary: 'Health of this process and its backends', tags: ['meta'], response: { 200: HealthResponse, 503: HealthResponse } } },
    async (_request, reply) => {
      const entries = await Promise.all(
        Object.entries(options.health).map(async ([concern, backend]) => [concern, { kind: backend.kind, ...(await probe(backend)) }] as const),
      );
      const states = entries.map(([, backend]) => backend.state);
      const status = states.includes('down') ? 'down' : states.includes('degraded') ? 'degraded' : 'ok';
      return reply.code(status === 'down' ? 503 : 200).send({
        status,
        version: options.version,
        uptimeSeconds: Math.round((Date.now() - started) / 1000),
        backends: Object.fromEntries(entries),
      });
    },
  );
}
