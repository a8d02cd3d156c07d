import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiDependencies } from '../../api/app.js';
import { scryptHasher } from '../../core/auth/password.js';
import { ManualClock } from '../../core/clock.js';
import { loadConfig } from '../../core/config/load.js';
import { UserError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { reportId, reportJobId, type IsoWeek, type ReportOperations, type ReportRecord } from '../../core/reports/types.js';
import { createMetricsRegistry } from '../../core/metrics.js';
import { createAlertingService, type AlertingService } from '../../engine/alerting/index.js';
import { readRuleBase } from '../../engine/rules/index.js';
import { MemoryCorrelationStore } from '../../backends/memory/correlation-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { SqliteEventStore } from '../../backends/sqlite/event-store.js';
import { SqliteJobQueue } from '../../backends/sqlite/job-queue.js';
import { packageRoot } from '../../cli/version.js';
import { weekStartUtc } from '../../api/routes/reports/week.js';
import { alertingConfig } from '../integration/alerting-behaviour.js';

/**
 * The app with every dependency buildApi takes, over in-memory SQLite (cases, events, queue):
 * the alerting service, the rules (the Watchpost pack and the shipped pipelines), HTTP ingest
 * into a sink that drops everything, reports in memory ({@link MemoryReports}), and a manual clock. No route of it answers 503 for want of
 * a dependency, which is what the authorization matrix needs to see every route's real answer.
 */
export interface FullApiHarness {
  readonly app: FastifyInstance;
  readonly db: SqliteDatabase;
  readonly cases: SqliteCaseStore;
  readonly events: SqliteEventStore;
  readonly alerting: AlertingService;
  readonly clock: ManualClock;
  /** The reports service the app was given (unless `extra.reports` replaced it). */
  readonly reports: MemoryReports;
  close(): Promise<void>;
}

/** One call of {@link MemoryReports.request}. */
export type ReportRequest = Parameters<ReportOperations['request']>[0];

/**
 * The reports service as the API sees it, in memory: records and PDFs put in by the test, and the
 * requests it received (each answered with the ids the real service gives). It refuses, as the
 * real one does, a week that has not ended by `now()` (in UTC, its only time zone); a request
 * without a week is for `defaultWeek`.
 */
export class MemoryReports implements ReportOperations {
  readonly records = new Map<string, ReportRecord>();
  readonly files = new Map<string, Buffer>();
  readonly requests: ReportRequest[] = [];

  constructor(
    private readonly now: () => number = Date.now,
    private readonly defaultWeek: IsoWeek = '2026-W10',
  ) {}

  /** Keeps a record (and its PDF, when given). */
  put(record: ReportRecord, pdf?: Buffer): void {
    this.records.set(record.id, record);
    if (pdf) this.files.set(record.id, pdf);
  }

  async list(): Promise<readonly ReportRecord[]> {
    return [...this.records.values()].sort((a, b) => b.period.from.localeCompare(a.period.from));
  }

  async get(id: string): Promise<ReportRecord | undefined> {
    return this.records.get(id);
  }

  async file(id: string): Promise<Buffer | undefined> {
    return this.files.get(id);
  }

  async request(input: ReportRequest): Promise<{ readonly id: string; readonly jobId: string; readonly week: IsoWeek }> {
    const week = input.week ?? this.defaultWeek;
    const start = weekStartUtc(week);
    if (start === undefined || start + 7 * 86_400_000 > this.now()) throw new UserError('WATCHPOST_ERR_REPORT_INVALID', `week ${week} has not ended yet`);
    this.requests.push(input);
    return { id: reportId(week), jobId: reportJobId(week, String(this.requests.length)), week };
  }
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
  const reports = new MemoryReports(() => clock.now());
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
    reports,
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
    reports,
    async close() {
      await app.close();
      await queue.close();
      db.close();
    },
  };
}
