import { join } from 'node:path';
import type { Config } from '../core/config/schema.js';
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { CaseStore } from '../core/stores/case-store.js';
import type { CorrelationStore } from '../core/stores/correlation-store.js';
import type { EventStore } from '../core/stores/event-store.js';
import type { JobQueue } from '../core/stores/job-queue.js';
import { createElasticsearchClient } from '../backends/elasticsearch/client.js';
import { ElasticsearchCaseStore } from '../backends/elasticsearch/case-store.js';
import { ElasticsearchEventStore } from '../backends/elasticsearch/event-store.js';
import { MemoryCorrelationStore } from '../backends/memory/correlation-store.js';
import { createRedisConnection } from '../backends/redis/connection.js';
import { RedisCorrelationStore } from '../backends/redis/correlation-store.js';
import { BullMqJobQueue } from '../backends/redis/job-queue.js';
import { SqliteCaseStore } from '../backends/sqlite/case-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../backends/sqlite/database.js';
import { SqliteEventStore } from '../backends/sqlite/event-store.js';
import { SqliteJobQueue } from '../backends/sqlite/job-queue.js';

/** The backends one process uses, opened from configuration. */
export interface Backends {
  readonly events: EventStore;
  readonly cases: CaseStore;
  readonly queue: JobQueue;
  /** Opened only for roles that correlate (ingest). */
  readonly correlation?: CorrelationStore;
  /** Closes everything in reverse order of opening. Idempotent. */
  close(): Promise<void>;
}

/** The file of the embedded backends inside the data directory. */
export const SQLITE_FILE = 'watchpost.db';

function need<T>(value: T | undefined, section: string): T {
  if (value === undefined) throw new UserError('WATCHPOST_ERR_BACKEND_NOT_CONFIGURED', `the "${section}" configuration section is required by the selected backends`);
  return value;
}

/**
 * Opens the backends the configuration selects: the only place that constructs concrete
 * clients. What it opened is closed again if a later backend fails to open.
 */
export async function openBackends(config: Readonly<Config>, logger: Logger, options: { correlation: boolean }): Promise<Backends> {
  const closers: (() => Promise<void> | void)[] = [];
  const close = async (): Promise<void> => {
    while (closers.length > 0) {
      const closer = closers.pop() as () => Promise<void> | void;
      try {
        await closer();
      } catch (error) {
        logger.warn({ err: error }, 'closing a backend failed');
      }
    }
  };
  try {
    let db: SqliteDatabase | undefined;
    const sqlite = (): SqliteDatabase => {
      if (!db) {
        const opened = openSqliteDatabase(join(config.dataDir, SQLITE_FILE));
        db = opened;
        closers.push(() => {
          opened.close();
        });
      }
      return db;
    };
    const elasticsearch = (() => {
      let client: ReturnType<typeof createElasticsearchClient> | undefined;
      return () => {
        if (!client) {
          const created = createElasticsearchClient(need(config.elasticsearch, 'elasticsearch'));
          client = created;
          closers.push(() => created.close());
        }
        return client;
      };
    })();
    const redisSettings = () => need(config.redis, 'redis');

    const events: EventStore =
      config.backends.events === 'sqlite'
        ? new SqliteEventStore(sqlite(), { logger: logger.child({ component: 'event-store' }) })
        : await ElasticsearchEventStore.open(elasticsearch(), {
            indexPrefix: need(config.elasticsearch, 'elasticsearch').indexPrefix,
            shards: config.elasticsearch?.shards,
            replicas: config.elasticsearch?.replicas,
            bulkMaxRetries: config.elasticsearch?.bulkMaxRetries,
            logger: logger.child({ component: 'event-store' }),
          });
    closers.push(() => events.close());

    const cases: CaseStore =
      config.backends.cases === 'sqlite'
        ? new SqliteCaseStore(sqlite())
        : await ElasticsearchCaseStore.open(elasticsearch(), {
            indexPrefix: need(config.elasticsearch, 'elasticsearch').indexPrefix,
            shards: config.elasticsearch?.shards,
            replicas: config.elasticsearch?.replicas,
            logger: logger.child({ component: 'case-store' }),
          });
    closers.push(() => cases.close());

    const retentionMs = config.retention.jobsDays * 24 * 3600 * 1000;
    const queue: JobQueue =
      config.backends.queue === 'sqlite'
        ? new SqliteJobQueue(sqlite(), { logger: logger.child({ component: 'job-queue' }), retentionMs })
        : new BullMqJobQueue({
            redis: redisSettings(),
            logger: logger.child({ component: 'job-queue' }),
            retentionMs,
          });
    closers.push(() => queue.close());

    let correlation: CorrelationStore | undefined;
    if (options.correlation) {
      if (config.backends.correlation === 'memory') {
        correlation = await MemoryCorrelationStore.open({ checkpointPath: join(config.dataDir, 'correlation-checkpoint.json') });
      } else {
        const settings = redisSettings();
        const connection = createRedisConnection(settings);
        closers.push(() => void connection.disconnect());
        correlation = new RedisCorrelationStore(connection, { prefix: settings.prefix });
      }
      const opened = correlation;
      closers.push(() => opened.close());
    }

    return { events, cases, queue, ...(correlation ? { correlation } : {}), close };
  } catch (error) {
    await close();
    throw error;
  }
}
