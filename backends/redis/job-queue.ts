import { Job, Queue, UnrecoverableError, Worker, type JobType } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import type { RedisConfig } from '../../core/config/schema.js';
import { OperationalError, UserError } from '../../core/errors.js';
import { randomId } from '../../core/ids.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { BackendHealth } from '../../core/stores/event-store.js';
import {
  validateNewJob,
  type JobContext,
  type JobHandler,
  type JobInfo,
  type JobQueue,
  type JobState,
  type JobWorker,
  type NewJob,
  type WorkOptions,
} from '../../core/stores/job-queue.js';
import { closeRedisConnection, createRedisConnection } from './connection.js';
import { fromBullId, QueueKeys, QueueScripts, toBullId } from './job-queue-keys.js';

/** Options of {@link BullMqJobQueue}. Give either `redis` or `connection` (with `prefix`). */
export interface BullMqJobQueueOptions {
  /** The `redis` config section: its URL, and its prefix unless `prefix` is given. */
  readonly redis?: Pick<RedisConfig, 'url'> & Partial<Pick<RedisConfig, 'prefix'>>;
  /** A redis:// URL or ioredis options, when there is no config section (tests, tools). */
  readonly connection?: string | RedisOptions;
  /** Prefix of every key; BullMQ's keys go under `<prefix>:bull`. @defaultValue `redis.prefix` */
  readonly prefix?: string;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
  /** How long finished jobs are kept (and their ids deduplicated). @defaultValue 7 days */
  readonly retentionMs?: number;
  /** BullMQ's lockDuration, our lease: how long a job stays its worker's without renewal. @defaultValue 30000 */
  readonly lockDurationMs?: number;
  /** How often workers look for jobs whose lock expired (stalled). @defaultValue lockDurationMs */
  readonly stalledIntervalMs?: number;
  /**
   * How long close() waits for running handlers and Redis to finish; past it the connections are
   * dropped as by abandon(), so a shutdown during a Redis outage cannot hang. @defaultValue 10000
   */
  readonly closeTimeoutMs?: number;
}

const DAY_MS = 24 * 3600 * 1000;
/** How often a worker process drops ids of jobs BullMQ has removed from the id → name hash. */
const PRUNE_EVERY_MS = 10 * 60_000;
const HEALTH_TIMEOUT_MS = 2000;
const ALL_TYPES: JobType[] = ['wait', 'paused', 'prioritized', 'waiting-children', 'delayed', 'active', 'completed', 'failed'];

/** Why a job that stalled on its last attempt is failed rather than run again (as in the SQLite queue). */
const LAST_ATTEMPT_STALLED = 'lease expired before the job finished (its worker died or stalled) on its last attempt';

/** One `work()` subscription: the BullMQ worker and the abort controllers of its running handlers. */
interface RunningWorker {
  worker?: Worker;
  readonly controllers: Map<string, AbortController>;
  /** Set when closing starts, so a job fetched in the meantime starts with its signal aborted. */
  closing: boolean;
}

/**
 * The job queue on Redis through BullMQ, for several worker processes. One BullMQ queue per job
 * name; attempts, backoff, delays, locks and stalled-job recovery are BullMQ's own. What BullMQ
 * does differently from the contract is bridged here: dedup across names and `get` by id alone
 * use a hash id → name (see {@link QueueKeys}); a UserError becomes BullMQ's UnrecoverableError;
 * a stall counts as an attempt, as a lease expiry does in SQLite.
 */
export class BullMqJobQueue implements JobQueue {
  readonly kind = 'redis';
  private readonly logger: Logger;
  private readonly keys: QueueKeys;
  private readonly client: Redis;
  private readonly scripts: QueueScripts;
  private readonly connectionSpec: Pick<RedisConfig, 'url'> | RedisOptions;
  private readonly retentionSeconds: number;
  private readonly lockDurationMs: number;
  private readonly stalledIntervalMs: number;
  private readonly closeTimeoutMs: number;
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Set<RunningWorker>();
  private workerConnection: Redis | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: BullMqJobQueueOptions) {
    const prefix = options.prefix ?? options.redis?.prefix;
    const spec = options.redis ?? (typeof options.connection === 'string' ? { url: options.connection } : options.connection);
    if (!prefix || !spec) {
      throw new UserError('WATCHPOST_ERR_BACKEND_NOT_CONFIGURED', 'the BullMQ job queue needs a Redis connection and a key prefix');
    }
    this.logger = (options.logger ?? silentLogger()).child({ backend: 'redis' });
    this.keys = new QueueKeys(prefix);
    this.connectionSpec = spec;
    this.retentionSeconds = Math.max(1, Math.ceil((options.retentionMs ?? 7 * DAY_MS) / 1000));
    this.lockDurationMs = options.lockDurationMs ?? 30_000;
    this.stalledIntervalMs = options.stalledIntervalMs ?? this.lockDurationMs;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    // Producers and readers fail fast when Redis is down (the caller's outbox retries); only the
    // workers' connection waits through reconnects, as BullMQ requires.
    this.client = createRedisConnection(spec, { logger: this.logger, name: 'watchpost-queue' });
    this.scripts = new QueueScripts(this.client, this.keys);
  }

  async add<T>(job: NewJob<T>): Promise<{ readonly id: string; readonly added: boolean }> {
    this.assertOpen();
    const valid = validateNewJob(job);
    const token = randomId();
    return this.guard(async () => {
      if (!(await this.scripts.register(valid.id, valid.name, token))) return { id: valid.id, added: false };
      try {
        await this.queue(valid.name).add(valid.name, job.data, {
          jobId: toBullId(valid.id),
          delay: valid.delayMs,
          attempts: valid.attempts,
          backoff: { type: valid.backoff.type, delay: valid.backoff.delayMs },
          // Kept by age, not count, so an id stays deduplicated for the whole retention.
          removeOnComplete: { age: this.retentionSeconds },
          removeOnFail: { age: this.retentionSeconds },
        });
      } finally {
        await this.scripts.release(valid.id, token).catch(() => undefined);
      }
      return { id: valid.id, added: true };
    });
  }

  work<T>(name: string, handler: JobHandler<T>, options: WorkOptions = {}): JobWorker {
    this.assertOpen();
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new UserError('WATCHPOST_ERR_QUEUE_INVALID_JOB', `worker concurrency must be a positive integer, got ${concurrency}`);
    }
    this.workerConnection ??= createRedisConnection(this.connectionSpec, { forBullMQ: true, logger: this.logger, name: 'watchpost-worker' });
    const running: RunningWorker = { controllers: new Map(), closing: false };
    const { controllers } = running;
    const worker = new Worker(name, async (job: Job) => this.process(job, handler, running), {
      connection: this.workerConnection,
      prefix: this.keys.bullPrefix,
      concurrency,
      lockDuration: this.lockDurationMs,
      stalledInterval: this.stalledIntervalMs,
      // Attempts bound how often a stalled job runs (see process()), not BullMQ's stall counter.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
    });
    worker.on('error', (error) => this.logger.warn({ err: error, jobName: name }, 'BullMQ worker error'));
    // A lock we could not renew may already be another worker's: tell the handler to stop.
    worker.on('lockRenewalFailed', (bullIds: string[]) => {
      for (const bullId of bullIds) {
        this.logger.warn({ jobId: fromBullId(bullId), jobName: name }, 'job lease lost; aborting its handler');
        controllers.get(bullId)?.abort(new Error('the job lease was lost'));
      }
    });
    worker.on('failed', (job, error) => {
      if (job?.finishedOn) this.logger.warn({ jobId: fromBullId(job.id ?? ''), jobName: name, error: error.message }, 'job failed');
    });
    running.worker = worker;
    this.workers.add(running);
    this.pruneTimer ??= setInterval(() => void this.prune().catch((error: unknown) => this.logger.warn({ err: error }, 'pruning job ids failed')), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
    return {
      close: async () => {
        await this.closeWorker(running);
      },
    };
  }

  async get(id: string): Promise<JobInfo | undefined> {
    this.assertOpen();
    return this.guard(async () => {
      const name = await this.client.hget(this.keys.jobNames, id);
      if (!name) return undefined;
      const queue = this.queue(name);
      const bullId = toBullId(id);
      let state = toJobState(await queue.getJobState(bullId));
      const job = state && (await Job.fromId(queue, bullId));
      if (!state || !job) return undefined;
      // The job may move on between the two reads. Read in this order, the hash is never older
      // than the state; when it shows the job finished (which is final), the state is read again.
      if (job.finishedOn !== undefined && state !== 'completed' && state !== 'failed') {
        state = toJobState(await queue.getJobState(bullId)) ?? state;
      }
      const attempts = job.opts.attempts ?? 1;
      let runAt: number | undefined;
      if (state === 'delayed') {
        // BullMQ scores a delayed job by due time × 0x1000 plus a tie-break counter.
        const score = await this.client.zscore(this.keys.delayed(name), toBullId(id));
        if (score !== null) runAt = Math.floor(Number(score) / 0x1000);
      }
      return {
        id,
        name,
        state,
        data: job.data as unknown,
        attemptsMade: Math.min(job.attemptsStarted, attempts),
        attempts,
        ...(runAt !== undefined ? { runAt } : {}),
        ...(state === 'completed' ? { result: job.returnvalue as unknown } : {}),
        ...(state !== 'completed' && job.failedReason ? { error: job.failedReason } : {}),
        ...(job.finishedOn !== undefined && (state === 'completed' || state === 'failed') ? { finishedAt: job.finishedOn } : {}),
      };
    });
  }

  async cancel(id: string): Promise<boolean> {
    this.assertOpen();
    return this.guard(async () => {
      const name = await this.client.hget(this.keys.jobNames, id);
      if (!name) return false;
      const queue = this.queue(name);
      const state = toJobState(await queue.getJobState(toBullId(id)));
      if (state !== 'waiting' && state !== 'delayed') return false;
      // BullMQ refuses to remove a locked (active) job, so a job taken in between stays.
      if ((await queue.remove(toBullId(id))) !== 1) return false;
      await this.client.hdel(this.keys.jobNames, id);
      return true;
    });
  }

  async counts(name?: string): Promise<Record<JobState, number>> {
    this.assertOpen();
    return this.guard(async () => {
      const names = name === undefined ? await this.client.smembers(this.keys.names) : [name];
      const totals: Record<JobState, number> = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 };
      for (const each of names) {
        const c = await this.queue(each).getJobCounts(...ALL_TYPES);
        totals.waiting += (c.wait ?? 0) + (c.paused ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0);
        totals.delayed += c.delayed ?? 0;
        totals.active += c.active ?? 0;
        totals.completed += c.completed ?? 0;
        totals.failed += c.failed ?? 0;
      }
      return totals;
    });
  }

  async health(): Promise<BackendHealth> {
    if (this.closing) return { state: 'down', detail: 'the job queue is closed' };
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no PING answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
      });
      await Promise.race([this.client.ping(), timeout]);
      return { state: 'up' };
    } catch (error) {
      return { state: 'down', detail: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Drops ids from the id → name hash whose jobs BullMQ has removed (after retention). Worker
   * processes run it every 10 minutes; returns how many ids were dropped.
   */
  async prune(): Promise<number> {
    let cursor = '0';
    let removed = 0;
    do {
      const [next, flat] = await this.client.hscan(this.keys.jobNames, cursor, 'COUNT', 500);
      cursor = next;
      const entries: [string, string][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) entries.push([flat[i] as string, flat[i + 1] as string]);
      removed += await this.scripts.prune(entries);
    } while (cursor !== '0');
    return removed;
  }

  /** Stops every worker (aborting running handlers' signals and waiting for them), then closes queues and connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.pruneTimer);
      const graceful = (async () => {
        await Promise.all([...this.workers].map((running) => this.closeWorker(running)));
        await Promise.all([...this.queues.values()].map((queue) => queue.close().catch(() => undefined)));
        if (this.workerConnection) await closeRedisConnection(this.workerConnection);
        await closeRedisConnection(this.client);
      })();
      // BullMQ's close waits for Redis to answer; while Redis is down that is forever (a worker
      // stopped during an outage would hang). Past the timeout the connections are dropped: a
      // job still running is run again elsewhere once its lock expires, as after a crash.
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), this.closeTimeoutMs);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
      if (!timedOut) return;
      this.logger.warn({ closeTimeoutMs: this.closeTimeoutMs }, 'the job queue did not close in time (is Redis reachable?); dropping its connections');
      this.workerConnection?.disconnect();
      this.client.disconnect();
      for (const running of this.workers) {
        for (const controller of running.controllers.values()) controller.abort(new Error('the job queue closed without Redis'));
        void running.worker?.close(true).catch(() => undefined);
      }
      for (const queue of this.queues.values()) void queue.disconnect().catch(() => undefined);
      this.workers.clear();
    })();
    return this.closing;
  }

  /**
   * Stops at once as if the process had died: connections are dropped without finishing or
   * releasing running jobs, whose locks then expire so that another worker runs them again.
   * For a shutdown whose grace period ran out, and for fault-injection tests.
   */
  abandon(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.pruneTimer);
      // Dropping the workers' command connection first means nothing a handler does from now on
      // can reach Redis: no completion, no failure, no lock renewal.
      this.workerConnection?.disconnect();
      this.client.disconnect();
      for (const running of this.workers) {
        running.closing = true;
        await running.worker?.close(true).catch(() => undefined);
        for (const controller of running.controllers.values()) controller.abort(new Error('the worker process was abandoned'));
      }
      this.workers.clear();
    })();
    return this.closing;
  }

  private async process<T>(job: Job, handler: JobHandler<T>, running: RunningWorker): Promise<unknown> {
    const bullId = job.id ?? '';
    const attempts = job.opts.attempts ?? 1;
    // BullMQ counts a stall in attemptsStarted but not attemptsMade, so a job that keeps
    // stalling would run forever; bound the runs by the attempts, as SQLite's lease does.
    if (job.attemptsStarted > attempts) throw new UnrecoverableError(LAST_ATTEMPT_STALLED);
    const controller = new AbortController();
    if (running.closing) controller.abort(new Error('the worker is closing'));
    running.controllers.set(bullId, controller);
    const context: JobContext<T> = {
      id: fromBullId(bullId),
      name: job.name,
      data: job.data as T,
      attempt: job.attemptsStarted,
      signal: controller.signal,
    };
    try {
      const result = await handler(context);
      try {
        JSON.stringify(result);
      } catch (cause) {
        throw new UserError('WATCHPOST_ERR_JOB_PERMANENT', `the job's result is not JSON-serializable: ${(cause as Error).message}`);
      }
      return result;
    } catch (error) {
      // A UserError (PermanentJobError among them) says retrying cannot help.
      if (error instanceof UserError) throw new UnrecoverableError(error.message);
      throw error instanceof Error ? error : new Error(String(error));
    } finally {
      running.controllers.delete(bullId);
    }
  }

  private async closeWorker(running: RunningWorker): Promise<void> {
    running.closing = true;
    for (const controller of running.controllers.values()) controller.abort(new Error('the worker is closing'));
    await running.worker?.close();
    this.workers.delete(running);
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.client, prefix: this.keys.bullPrefix });
      queue.on('error', (error) => this.logger.warn({ err: error, jobName: name }, 'BullMQ queue error'));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private assertOpen(): void {
    if (this.closing) throw new UserError('WATCHPOST_ERR_QUEUE_CLOSED', 'the job queue is closed');
  }

  /** Redis trouble becomes an OperationalError the caller may retry; our own errors pass through. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof UserError || error instanceof OperationalError) throw error;
      throw new OperationalError('WATCHPOST_ERR_QUEUE_UNAVAILABLE', `the Redis job queue failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

function toJobState(state: string): JobState | undefined {
  switch (state) {
    case 'waiting':
    case 'prioritized':
    case 'waiting-children':
      return 'waiting';
    case 'delayed':
    case 'active':
    case 'completed':
    case 'failed':
      return state;
    default:
      return undefined;
  }
}
