import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApi, type ApiDependencies } from '../../api/app.js';
import { formatToken } from '../../api/plugins/token-auth.js';
import type { Role } from '../../core/cases/types.js';
import { ManualClock, type Clock } from '../../core/clock.js';
import { loadConfig } from '../../core/config/load.js';
import { hashSecret, randomId, randomSecret } from '../../core/ids.js';
import { silentLogger } from '../../core/log.js';
import { createMetricsRegistry } from '../../core/metrics.js';
import { createAlertingService, type AlertingService } from '../../engine/alerting/index.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import type { EventStore } from '../../core/stores/event-store.js';
import type { SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteJobQueue } from '../../backends/sqlite/job-queue.js';
import { openTestStores, type StoreBackend } from './backends.js';
import { alertingConfig } from '../integration/alerting-behaviour.js';

/**
 * The app with the alerting engine over cases and events on `backend` (SQLite in memory by
 * default), the job queue on in-memory SQLite (`db`) whatever the backend, and a manual clock.
 */
export interface AlertingApiHarness {
  readonly app: FastifyInstance;
  readonly db: SqliteDatabase;
  readonly cases: CaseStore;
  readonly events: EventStore;
  readonly alerting: AlertingService;
  readonly clock: ManualClock;
  /** An `authorization` header for a new token of `userId` (created with `roles` when missing). */
  bearer(userId: string, roles: Role[]): Promise<string>;
  call(authorization: string | undefined, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/**
 * Builds the harness; `extra` overrides dependencies of buildApi (stream limits, for example);
 * 'elasticsearch' needs the services of deploy/dev/services.sh.
 */
export async function alertingApiHarness(extra: Partial<ApiDependencies> = {}, backend: StoreBackend = 'sqlite'): Promise<AlertingApiHarness> {
  const stores = await openTestStores(backend);
  const { db, cases, events } = stores;
  const queue = new SqliteJobQueue(db, { pollIntervalMs: 50 });
  const clock = new ManualClock(Date.now());
  const alerting = createAlertingService({ store: cases, queue, clock, config: alertingConfig() });
  const app = await buildApi({
    config: loadConfig({ env: {} }).api,
    logger: silentLogger(),
    version: '0.0.0-test',
    metrics: createMetricsRegistry({ role: 'api' }),
    health: { cases },
    cases,
    events,
    alerting,
    clock,
    ...extra,
  });
  return {
    app,
    db,
    cases,
    events,
    alerting,
    clock,
    ...apiCaller(app, cases, clock),
    async close() {
      await app.close();
      await queue.close();
      await stores.close();
    },
  };
}

/** How a test calls an app: an `authorization` header for a new token of a user, and inject with it. */
export interface ApiCaller {
  /** An `authorization` header for a new token of `userId` (created with `roles` when missing). */
  bearer(userId: string, roles: Role[]): Promise<string>;
  call(authorization: string | undefined, options: InjectOptions): Promise<LightMyRequestResponse>;
}

/** The {@link ApiCaller} of `app` over `cases`, dating users and tokens by `clock`. */
export function apiCaller(app: FastifyInstance, cases: CaseStore, clock: Clock): ApiCaller {
  return {
    async bearer(userId, roles) {
      const at = new Date(clock.now()).toISOString();
      if (!(await cases.users.get(userId))) await cases.users.create({ id: userId, username: userId, roles, disabled: false, createdAt: at, updatedAt: at });
      const id = randomId();
      const secret = randomSecret();
      await cases.tokens.create({ id, name: `test ${userId}`, userId, secretHash: hashSecret(secret), roles, revoked: false, createdAt: at });
      return `Bearer ${formatToken(id, secret)}`;
    },
    call(authorization, options) {
      return app.inject({ ...options, headers: { ...(options.headers ?? {}), ...(authorization !== undefined ? { authorization } : {}) } });
    },
  };
}
