import { Value } from '@sinclair/typebox/value';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { loginService } from '../core/auth/login.js';
import { createOidcClient, type OidcClient } from '../core/auth/oidc.js';
import { scryptHasher, type PasswordHasher } from '../core/auth/password.js';
import { SYSTEM_CLOCK, type Clock } from '../core/clock.js';
import { AuthConfigSchema, type ApiConfig, type AuthConfig } from '../core/config/schema.js';
import type { Logger } from '../core/log.js';
import type { ReportOperations } from '../core/reports/types.js';
import type { CaseStore } from '../core/stores/case-store.js';
import type { EventStore } from '../core/stores/event-store.js';
import type { AlertingService } from '../engine/alerting/index.js';
import { authGuard, type Authenticator } from './plugins/auth-guard.js';
import { consoleRoutes } from './plugins/console.js';
import { csrfProtection } from './plugins/csrf.js';
import { errorHandler } from './plugins/error-handler.js';
import { openApi } from './plugins/openapi.js';
import { securityHeaders } from './plugins/security-headers.js';
import { sessionAuthenticator, sessionSupport, tokenOrSession } from './plugins/session-auth.js';
import { tokenAuthenticator } from './plugins/token-auth.js';
import { auditRoutes } from './routes/audit/index.js';
import { authRoutes } from './routes/auth/index.js';
import { oidcRoutes } from './routes/auth/oidc.js';
import { eventsRoutes } from './routes/events/index.js';
import { healthRoutes, type HealthSource } from './routes/health/index.js';
import { incidentsRoutes } from './routes/incidents/index.js';
import { alertsRoutes } from './routes/alerts/index.js';
import { suppressionsRoutes } from './routes/suppressions/index.js';
import { runsRoutes } from './routes/runs/index.js';
import { feedsRoutes, type FeedAccess } from './routes/feeds/index.js';
import { actionsRoutes } from './routes/actions/index.js';
import { blocksRoutes } from './routes/blocks/index.js';
import { reportsRoutes } from './routes/reports/index.js';
import { playbooksRoutes } from './routes/playbooks/index.js';
import { responseRoutes } from './routes/response/index.js';
import type { DriverInstanceSummary, ResponseOperations } from './routes/response/operations.js';
import { AlertFeed, streamRoutes, type AlertStreamOptions } from './routes/stream/index.js';
import { ingestRoutes, type IngestDependencies } from './routes/ingest/index.js';
import { metricsRoutes } from './routes/metrics/index.js';
import { rulesRoutes, type RulesDependencies } from './routes/rules/index.js';

export type { RulesDependencies } from './routes/rules/index.js';
import { tokensRoutes } from './routes/tokens/index.js';
import { usersRoutes } from './routes/users/index.js';

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
  /** Searched by GET /api/v1/events; without it that route answers 503. */
  readonly events?: EventStore;
  /**
   * The rules on disk for /api/v1/rules (switches and uploads live in `cases`); without it those
   * routes answer 503.
   */
  readonly rules?: RulesDependencies;
  /** The `auth` config: session timeouts, login throttling, HTTPS. @defaultValue the schema's defaults */
  readonly auth?: Readonly<AuthConfig>;
  /** Hashes and checks passwords. @defaultValue scrypt with DEFAULT_SCRYPT */
  readonly passwords?: PasswordHasher;
  /** Session timeouts, lockouts and token expiry read it; tests move it by hand. @defaultValue the system clock */
  readonly clock?: Clock;
  /** Signs in through the provider of `auth.oidc` (ignored without it). @defaultValue one built from `auth.oidc` */
  readonly oidc?: OidcClient;
  /**
   * The alerting engine over `cases`: alert triage, suppressions, incidents and the live alert
   * stream (its new alerts are pushed at once; other processes' changes are polled from the store).
   * Without it those writes and the stream answer 503.
   */
  readonly alerting?: AlertingService;
  /**
   * Automated response (cli/ builds it from the playbook runner, the safety layer and the loaded
   * playbooks): playbooks, runs by hand, approvals, block release, the never-block list and the
   * breaker. Without it those routes answer 503.
   */
  readonly response?: ResponseOperations;
  /**
   * The weekly reports (cli/ composes them over the case store and the job queue): list, download,
   * generate. Without it those routes answer 503.
   */
  readonly reports?: ReportOperations;
  /** The configured driver instances, listed by GET /api/v1/actions. @defaultValue none */
  readonly drivers?: readonly DriverInstanceSummary[];
  /** The blocklist feeds (`feed` drivers: id and token SHA-256) served by GET /api/v1/feeds/{id}. @defaultValue none */
  readonly feeds?: readonly FeedAccess[];
  /**
   * The console's build (dist/console), served at `/` (api/plugins/console.ts); a missing build
   * answers 404 with a hint. Without it no console routes exist. @defaultValue none
   */
  readonly consoleDir?: string;
  /** Limits and timings of GET /api/v1/stream/alerts. @defaultValue DEFAULT_STREAM_OPTIONS */
  readonly alertStream?: Partial<AlertStreamOptions> & { readonly pollIntervalMs?: number };
}

/**
 * Builds the Fastify app without listening, so tests drive it with `inject()`. Every route
 * requires authentication unless it declares `config: { public: true }` (GET /api/health,
 * GET /metrics and POST /api/v1/auth/login do): an API token (Bearer) or a session cookie, the
 * latter with a CSRF token on every unsafe method. Security headers go on every response.
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
  const auth = deps.auth ?? (Value.Default(AuthConfigSchema, {}) as AuthConfig);
  const clock = deps.clock ?? SYSTEM_CLOCK;
  // First: its onRequest hook then runs before the guard's, so even a 401 carries the headers.
  await app.register(securityHeaders, { secureTransport: auth.secureTransport });
  await app.register(errorHandler);
  await app.register(sessionSupport);
  const cases = deps.cases;
  const authenticate =
    deps.authenticate ??
    (cases
      ? tokenOrSession(
          tokenAuthenticator(cases, { clock, logger: deps.logger.child({ component: 'token-auth' }) }),
          sessionAuthenticator(cases, { policy: auth.session, clock, logger: deps.logger.child({ component: 'session-auth' }) }),
        )
      : undefined);
  await app.register(authGuard, { authenticate });
  await app.register(csrfProtection);
  // Before the OpenAPI plugin, which would refuse its hidden routes: the console is no API operation.
  if (deps.consoleDir !== undefined) await app.register(consoleRoutes, { dir: deps.consoleDir });
  // Before every route: the OpenAPI generator sees only the routes registered after it.
  await app.register(openApi, { version: deps.version });
  await app.register(healthRoutes, { version: deps.version, health: deps.health });
  await app.register(metricsRoutes, { registry: deps.metrics });
  if (deps.ingest?.config.enabled !== false) await app.register(ingestRoutes, { ingest: deps.ingest });
  await app.register(eventsRoutes, { events: deps.events, clock });
  await app.register(usersRoutes, { cases: deps.cases, passwords: deps.passwords ?? scryptHasher(), clock });
  await app.register(tokensRoutes, { cases: deps.cases, clock });
  await app.register(auditRoutes, { cases: deps.cases });
  await app.register(rulesRoutes, { cases: deps.cases, rules: deps.rules, clock });
  await app.register(incidentsRoutes, { alerting: deps.alerting, cases: deps.cases, clock });
  // The live alert feed: the engine's hook in this process, the API's own triage, and a poll.
  const feed =
    deps.alerting && cases
      ? new AlertFeed({ cases, clock, logger: deps.logger.child({ component: 'alert-stream' }), pollIntervalMs: deps.alertStream?.pollIntervalMs ?? 5_000 })
      : undefined;
  if (feed && deps.alerting) {
    const unsubscribe = deps.alerting.onAlerts(({ created, updated }) => feed.publish(updated, created));
    app.addHook('onClose', async () => {
      unsubscribe();
      await feed.close();
    });
  }
  await app.register(alertsRoutes, { cases: deps.cases, alerting: deps.alerting, events: deps.events, clock, changed: (alerts) => feed?.publish(alerts) });
  await app.register(suppressionsRoutes, { cases: deps.cases, alerting: deps.alerting, clock });
  await app.register(runsRoutes, { cases: deps.cases, response: deps.response });
  await app.register(playbooksRoutes, { cases: deps.cases, response: deps.response });
  await app.register(blocksRoutes, { cases: deps.cases, response: deps.response, clock });
  await app.register(responseRoutes, { cases: deps.cases, response: deps.response, clock });
  await app.register(actionsRoutes, { drivers: deps.drivers });
  await app.register(feedsRoutes, { feeds: deps.feeds, cases: deps.cases, clock });
  await app.register(reportsRoutes, { reports: deps.reports, cases: deps.cases, clock });
  await app.register(streamRoutes, { feed, cases: deps.cases, stream: deps.alertStream, clock });
  if (cases) {
    const throttle = { failureWindowMs: auth.login.failureWindowMs, lockoutMs: auth.login.lockoutMs, maxLockoutMs: auth.login.maxLockoutMs };
    const login = loginService({
      cases,
      hasher: deps.passwords ?? scryptHasher(),
      clock,
      sessions: auth.session,
      userThrottle: { ...throttle, maxFailures: auth.login.maxFailures },
      ipThrottle: { ...throttle, maxFailures: auth.login.maxFailuresPerIp },
      logger: deps.logger.child({ component: 'login' }),
    });
    await app.register(authRoutes, { cases, login, clock, secureTransport: auth.secureTransport, oidc: auth.oidc !== undefined });
    const oidcLogger = deps.logger.child({ component: 'oidc' });
    const oidc = auth.oidc ? { client: deps.oidc ?? createOidcClient({ config: auth.oidc, clock, logger: oidcLogger }), config: auth.oidc } : undefined;
    await app.register(oidcRoutes, { cases, oidc, clock, sessions: auth.session, secureTransport: auth.secureTransport, logger: oidcLogger });
  }
  return app;
}
