import { SYSTEM_CLOCK, type Clock } from '../../core/clock.js';
import { UserError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { BackendHealth } from '../../core/stores/event-store.js';
import {
  validateNewJob,
  type JobHandler,
  type JobInfo,
  type JobQueue,
  type JobState,
  type JobWorker,
  type NewJob,
  type WorkOptions,
} from '../../core/stores/job-queue.js';
import type { SqliteDatabase } from './database.js';
import { JobTable, toJobInfo } from './job-queue-table.js';
import { SqliteJobWorker, type WorkerHost } from './job-queue-worker.js';

/** Options of {@link SqliteJobQueue}. */
export interface SqliteJobQueueOptions {
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** How often an idle worker looks for jobs added by other processes (local adds wake it at once). @defaultValue 250 */
  readonly pollIntervalMs?: number;
  /** How long a claimed job stays its worker's without renewal; renewed every leaseMs/3 while the handler runs. @defaultValue 30000 */
  readonly leaseMs?: number;
  /** How long finished jobs are kept (and their ids deduplicated). @defaultValue 7 days */
  readonly retentionMs?: number;
}

const DAY_MS = 24 * 3600 * 1000;
const PURGE_EVERY_MS = 60_000;

/**
 * Wakes workers when a job is added through the same database handle, so a local add runs at
 * once instead of at the next poll. Keyed by handle: queue objects sharing one handle (one
 * process) hear each other; other processes are heard by polling.
 */
const listenersByDb = new WeakMap<SqliteDatabase, Map<string, Set<() => void>>>();

/**
 * The embedded job queue: jobs live in the `queue_jobs` table of the SQLite file, so they survive
 * restarts and are shared by every process that opens the file (WAL). A worker claims a due job
 * atomically under a lease it renews while the handler runs; a job whose lease ran out (its
 * process died) is taken again by any worker, and that counts as an attempt. The database handle
 * belongs to the caller, who closes it after {@link SqliteJobQueue.close}.
 */
export class SqliteJobQueue implements JobQueue {
  readonly kind = 'sqlite';
  private readonly table: JobTable;
  private readonly host: WorkerHost;
  private readonly workers = new Set<SqliteJobWorker<never>>();
  private readonly retentionMs: number;
  private readonly clock: Clock;
  private lastPurgeAt = Number.NEGATIVE_INFINITY;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly db: SqliteDatabase,
    options: SqliteJobQueueOptions = {},
  ) {
    this.table = new JobTable(db);
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.retentionMs = options.retentionMs ?? 7 * DAY_MS;
    const logger = (options.logger ?? silentLogger()).child({ backend: 'sqlite' });
    this.host = {
      table: this.table,
      clock: this.clock,
      logger,
      pollIntervalMs: options.pollIntervalMs ?? 250,
      leaseMs: options.leaseMs ?? 30_000,
      maybePurge: () => this.maybePurge(),
      subscribe: (name, wake) => this.subscribe(name, wake),
    };
  }

  async add<T>(job: NewJob<T>): Promise<{ readonly id: string; readonly added: boolean }> {
    this.assertOpen();
    const valid = validateNewJob(job);
    const now = this.clock.now();
    this.maybePurge();
    const added = this.table.add(valid, now, now - this.retentionMs);
    if (added) this.notify(valid.name);
    return { id: valid.id, added };
  }

  work<T>(name: string, handler: JobHandler<T>, options: WorkOptions = {}): JobWorker {
    this.assertOpen();
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new UserError('WATCHPOST_ERR_QUEUE_INVALID_JOB', `worker concurrency must be a positive integer, got ${concurrency}`);
    }
    const worker = new SqliteJobWorker<T>(this.host, name, handler, concurrency);
    const tracked = worker as unknown as SqliteJobWorker<never>;
    this.workers.add(tracked);
    return {
      close: async () => {
        await worker.close();
        this.workers.delete(tracked);
      },
    };
  }

  async get(id: string): Promise<JobInfo | undefined> {
    this.assertOpen();
    const row = this.table.get(id);
    if (!row) return undefined;
    const now = this.clock.now();
    // A finished job past retention is as good as purged, even if the sweep has not run yet.
    if (row.finished_at !== null && row.finished_at <= now - this.retentionMs) return undefined;
    return toJobInfo(row, now);
  }

  async cancel(id: string): Promise<boolean> {
    this.assertOpen();
    return this.table.cancel(id);
  }

  async counts(name?: string): Promise<Record<JobState, number>> {
    this.assertOpen();
    this.maybePurge();
    return this.table.counts(this.clock.now(), name);
  }

  async health(): Promise<BackendHealth> {
    if (this.closing) return { state: 'down', detail: 'the job queue is closed' };
    try {
      this.table.ping();
      return { state: 'up' };
    } catch (error) {
      return { state: 'down', detail: (error as Error).message };
    }
  }

  /** Stops every worker, aborting running handlers' signals and waiting for them to settle. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.workers].map((worker) => worker.close()));
      this.workers.clear();
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw new UserError('WATCHPOST_ERR_QUEUE_CLOSED', 'the job queue is closed');
  }

  private maybePurge(): void {
    const now = this.clock.now();
    if (now - this.lastPurgeAt < Math.min(PURGE_EVERY_MS, this.retentionMs)) return;
    this.lastPurgeAt = now;
    const purged = this.table.purgeFinished(now - this.retentionMs);
    if (purged > 0) this.host.logger.debug({ purged }, 'purged finished jobs past retention');
  }

  private subscribe(name: string, wake: () => void): () => void {
    let byName = listenersByDb.get(this.db);
    if (!byName) {
      byName = new Map();
      listenersByDb.set(this.db, byName);
    }
    let listeners = byName.get(name);
    if (!listeners) {
      listeners = new Set();
      byName.set(name, listeners);
    }
    listeners.add(wake);
    return () => {
      listeners.delete(wake);
    };
  }

  private notify(name: string): void {
    for (const wake of listenersByDb.get(this.db)?.get(name) ?? []) wake();
  }
}
