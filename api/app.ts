import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ApiConfig } from '../core/config/schema.js';
import type { Logger } from '../core/log.js';
import type { CaseStore } from '../core/stores/case-store.js';
import type { EventStore } from '../core/stores/event-store.js';
import { authGuard, type Authenticator } from './plugins/auth-guard.js';
import { errorHandler } from './plugins/error-handler.js';
import { tokenAuthenticator } from './plugins/token-auth.js';
import { eventsRoutes } from './routes/events/index.js';
import { healthRoutes, type HealthSource } from './routes/health/index.js';
import { ingestRoutes, type IngestDependencies } from './routes/ingest/index.js';
import { metricsRoutes } from './routes/metrics/index.js';

/** What the API needs; the composition root in cli/ builds these. */
export interface ApiDependencies {
  readonly config: Readonly<ApiConfig>;
  readonly logger: Logger;
  readonly version: string;
  readonly metrics: Registry;
  /** Every backend this process uses, probed by GET /api/health. */
  readonly health: HealthSource;
  /** Decides who a request comes from; without one, every protected route answers 401. */
  readonly authenticate?: Authenticator;
  /**
   * Case management: users, API tokens, audit. When `authenticate` is not given, API tokens
   * stored here authenticate requests.
   */
  readonly cases?: CaseStore;
  /**
   * HTTP ingest: the pipeline's sink and the `ingest.http` config. Without it (a process that
   * runs no pipeline) POST /api/v1/ingest answers 503; with `enabled: false` the route is absent.
   */
  readonly ingest?: IngestDependencies;
  /** Searched by GET /api/events; without it that route answers 503. */
  readonly events?: EventStore;
}

/**
 * Builds the Fastify app without listening, so tests drive it with `inject()`. Every route
 * requires authentication unless it declares `config: { public: true }` (only GET /api/health
 * and GET /metrics do).
 */
export async function buildApi(deps: ApiDependencies): Promise<FastifyInstance> {
  const apiLogger: FastifyBaseLogger = deps.logger.child({ component: 'api' });
  const app = Fastify({
    loggerInstance: apiLogger,
    bodyLimit: deps.config.bodyLimitBytes,
    // Per-request lines would log every health probe; state changes go to the audit log instead.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    return503OnClosing: true,
  });
  await app.register(errorHandler);
  const authenticate =
    deps.authenticate ?? (deps.cases ? tokenAuthenticator(deps.cases, { logger: deps.logger.child({ component: 'token-auth' }) }) : undefined);
  await app.register(authGuard, { authenticate });
  await app.register(healthRoutes, { version: deps.version, health: deps.health });
  await app.register(metricsRoutes, { registry: deps.metrics });
  if (deps.ingest?.config.enabled !== false) await app.register(ingestRoutes, { ingest: deps.ingest });
  await app.register(eventsRoutes, { events: deps.events });
  return app;
}
