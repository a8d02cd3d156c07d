import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiDependencies } from '../../api/app.js';
import { scryptHasher } from '../../core/auth/password.js';
import { ManualClock } from '../../core/clock.js';
import { loadConfig } from '../../core/config/load.js';
import { silentLogger } from '../../core/log.js';
import { createMetricsRegistry } from '../../core/metrics.js';
import { createAlertingService, type AlertingService } from '../../engine/alerting/index.js';
import { readRuleBase } from '../../engine/rules/index.js';
import { MemoryCorrelationStore } from '../../backends/memory/correlation-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { SqliteEventStore } from '../../backends/sqlite/event-store.js';
import { SqliteJobQueue } from '../../backends/sqlite/job-queue.js';
import { packageRoot } from '../../cli/version.js';
import { alertingConfig } from '../integration/alerting-behaviour.js';

/**
 * The app with every dependency buildApi takes, over in-memory SQLite (cases, events, queue):
 * the alerting service, the rules (the Watchpost pack and the shipped pipelines), HTTP ingest
 * into a sink that drops everything, and a manual clock. No route of it answers 503 for want of
 * a dependency, which is what the authorization matrix needs to see every route's real answer.
 */
export interface FullApiHarness {
  readonly app: FastifyInstance;
  readonly db: SqliteDatabase;
  readonly cases: SqliteCaseStore;
  readonly events: SqliteEventStore;
  readonly alerting: AlertingService;
  readonly clock: ManualClock;
  close(): Promise<void>;
}

/** Cheap scrypt parameters: these tests are about the API, not about the hash's cost. */
const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export async function fullApiHarness(extra: Partial<ApiDependencies> = {}): Promise<FullApiHarness> {
  const root = packageRoot();
  const db = openSqliteDatabase(':memory:');
  const cases = new SqliteCaseStore(db);
  const events = new SqliteEventStore(db);
  const queue = new SqliteJobQueue(db, { pollIntervalMs: 50 });
  const clock = new ManualClock(Date.now());
  const alerting = createAlertingService({ store: cases, queue, clock, config: alertingConfig() });
  const config = loadConfig({ env: {} });
  const app = await buildApi({
    config: config.api,
    logger: silentLogger(),
    version: '0.0.0-full',
    metrics: createMetricsRegistry({ role: 'api' }),
    health: { cases },
    cases,
    events,
    alerting,
    clock,
    passwords: scryptHasher(TEST_SCRYPT),
    ingest: { sink: { accept: async () => undefined }, config: config.ingest.http },
    rules: {
      // The Watchpost pack stands in for the shipped rules: the real pipelines, a tenth of the load time.
      base: () =>
        readRuleBase({ shipped: [join(root, 'rules', 'watchpost')], config: [], pipelines: [join(root, 'rules', 'pipelines')], exclude: [], disabledRules: [] }),
      newCorrelationStore: (c) => new MemoryCorrelationStore({ clock: c, checkpointIntervalMs: 0 }),
      root,
    },
    ...extra,
  });
  return {
    app,
    db,
    cases,
    events,
    alerting,
    clock,
    async close() {
      await app.close();
      await queue.close();
      db.close();
    },
  };
}
