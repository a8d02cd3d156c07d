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

/** Closers run in reverse order of opening; a failing one is logged and the rest still run. */
type Closers = (() => Promise<void> | void)[];

function closerOf(closers: Closers, logger: Logger): () => Promise<void> {
  return async () => {
    while (closers.length > 0) {
      const closer = closers.pop() as () => Promise<void> | void;
      try {
        await closer();
      } catch (error) {
        logger.warn({ err: error }, 'closing a backend failed');
      }
    }
  };
}

/** The shared connections, each opened on first use and its closer registered then. */
interface Connections {
  sqlite(): SqliteDatabase;
  elasticsearch(): ReturnType<typeof createElasticsearchClient>;
}

function lazyConnections(config: Readonly<Config>, closers: Closers): Connections {
  let db: SqliteDatabase | undefined;
  let client: ReturnType<typeof createElasticsearchClient> | undefined;
  return {
    sqlite: () => {
      if (!db) {
        const opened = openSqliteDatabase(join(config.dataDir, SQLITE_FILE));
        db = opened;
        closers.push(() => {
          opened.close();
        });
      }
      return db;
    },
    elasticsearch: () => {
      if (!client) {
        const created = createElasticsearchClient(need(config.elasticsearch, 'elasticsearch'));
        client = created;
        closers.push(() => created.close());
      }
      return client;
    },
  };
}

async function createEventStore(config: Readonly<Config>, logger: Logger, connections: Connections): Promise<EventStore> {
  return config.backends.events === 'sqlite'
    ? new SqliteEventStore(connections.sqlite(), { logger: logger.child({ component: 'event-store' }) })
    : ElasticsearchEventStore.open(connections.elasticsearch(), {
        indexPrefix: need(config.elasticsearch, 'elasticsearch').indexPrefix,
        shards: config.elasticsearch?.shards,
        replicas: config.elasticsearch?.replicas,
        bulkMaxRetries: config.elasticsearch?.bulkMaxRetries,
        logger: logger.child({ component: 'event-store' }),
      });
}

async function createCaseStore(config: Readonly<Config>, logger: Logger, connections: Connections): Promise<CaseStore> {
  return config.backends.cases === 'sqlite'
    ? new SqliteCaseStore(connections.sqlite())
    : ElasticsearchCaseStore.open(connections.elasticsearch(), {
        indexPrefix: need(config.elasticsearch, 'elasticsearch').indexPrefix,
        shards: config.elasticsearch?.shards,
        replicas: config.elasticsearch?.replicas,
        logger: logger.child({ component: 'case-store' }),
      });
}

/** One store opened on its own, for a command that needs nothing else. */
export interface OpenedStore<T> {
  readonly store: T;
  /** Closes the store and its connection. Idempotent. */
  close(): Promise<void>;
}

async function openOne<T extends { close(): Promise<void> }>(
  config: Readonly<Config>,
  logger: Logger,
  create: (config: Readonly<Config>, logger: Logger, connections: Connections) => Promise<T>,
): Promise<OpenedStore<T>> {
  const closers: Closers = [];
  const close = closerOf(closers, logger);
  try {
    const store = await create(config, logger, lazyConnections(config, closers));
    closers.push(() => store.close());
    return { store, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Opens only the configured event store (for `watchpost search`): no queue, no workers. With
 * SQLite this is safe beside a running `watchpost start` on the same file: WAL lets readers run
 * beside the writer, and the store's migrations are idempotent and run in IMMEDIATE transactions.
 */
export function openEventStore(config: Readonly<Config>, logger: Logger): Promise<OpenedStore<EventStore>> {
  return openOne(config, logger, createEventStore);
}

/** Opens only the configured case store (for `watchpost token`). */
export function openCaseStore(config: Readonly<Config>, logger: Logger): Promise<OpenedStore<CaseStore>> {
  return openOne(config, logger, createCaseStore);
}

/**
 * Opens the backends the configuration selects: the only place that constructs concrete
 * clients. What it opened is closed again if a later backend fails to open.
 */
export async function openBackends(config: Readonly<Config>, logger: Logger, options: { correlation: boolean }): Promise<Backends> {
  const closers: Closers = [];
  const close = closerOf(closers, logger);
  try {
    const connections = lazyConnections(config, closers);
    const redisSettings = () => need(config.redis, 'redis');

    const events = await createEventStore(config, logger, connections);
    closers.push(() => events.close());

    const cases = await createCaseStore(config, logger, connections);
    closers.push(() => cases.close());

    const retentionMs = config.retention.jobsDays * 24 * 3600 * 1000;
    const queue: JobQueue =
      config.backends.queue === 'sqlite'
        ? new SqliteJobQueue(connections.sqlite(), { logger: logger.child({ component: 'job-queue' }), retentionMs })
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
