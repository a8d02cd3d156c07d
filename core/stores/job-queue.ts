import type { BackendHealth } from './event-store.js';

/**
 * A durable queue of named jobs: playbook steps, delayed unblocks, the weekly report.
 * Implemented by backends/sqlite (embedded) and backends/redis (BullMQ); the contract suite in
 * test/contracts/job-queue.contract.ts holds both to the semantics written here.
 *
 * Delivery is at least once: a job whose worker dies mid-run is run again after its lease
 * expires. Handlers must therefore be idempotent, and job ids deterministic, so that a retry
 * or a duplicate add is harmless.
 */
export interface JobQueue {
  /** The technology, as /api/health reports it: "sqlite" or "redis". */
  readonly kind: string;

  /**
   * Adds a job. Idempotent by id: when a job with this id is known (waiting, delayed, active,
   * completed or failed, until it is purged after {@link JobQueueOptions} retention) nothing is
   * added and `added` is false. Durable when the promise resolves.
   */
  add<T>(job: NewJob<T>): Promise<{ readonly id: string; readonly added: boolean }>;

  /**
   * Runs `handler` for jobs of this name, up to `concurrency` at once, until the returned
   * worker is closed. A handler that resolves completes the job. One that throws a
   * {@link PermanentJobError} (or any UserError) fails it at once; any other error retries it
   * with the job's backoff until its attempts are used up, then fails it. A job is never run
   * by two workers at the same time while its lease holds.
   */
  work<T>(name: string, handler: JobHandler<T>, options?: WorkOptions): JobWorker;

  /** A job's state, or undefined if unknown or purged. */
  get(id: string): Promise<JobInfo | undefined>;

  /** Removes a waiting or delayed job (e.g. a scheduled unblock made moot); true if removed. */
  cancel(id: string): Promise<boolean>;

  /** How many jobs are in each state, for metrics and health. */
  counts(name?: string): Promise<Record<JobState, number>>;

  /** Probes the backend. */
  health(): Promise<BackendHealth>;

  /** Stops every worker (waiting for running handlers) and releases connections. Idempotent. */
  close(): Promise<void>;
}

/** The states of a job. */
export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

/** A job to add. */
export interface NewJob<T> {
  /** The job type, e.g. `playbook-step`; workers subscribe by name. [a-z0-9-], at most 64 characters. */
  readonly name: string;
  /**
   * Deterministic id, e.g. derived from (alert, step): the idempotency key. At most 200
   * characters of [A-Za-z0-9._-] (no colon: BullMQ reserves it).
   */
  readonly id: string;
  /** JSON-serializable payload, at most 512 KiB serialized. */
  readonly data: T;
  /** Run no earlier than this many ms from now. @defaultValue 0 */
  readonly delayMs?: number;
  /** Total tries including the first. @defaultValue 3 */
  readonly attempts?: number;
  /** Wait before retry n (1-based): fixed `delayMs`, or exponential `delayMs * 2^(n-1)`. @defaultValue exponential, 1000 ms */
  readonly backoff?: { readonly type: 'fixed' | 'exponential'; readonly delayMs: number };
}

/** What a handler gets. */
export interface JobContext<T> {
  readonly id: string;
  readonly name: string;
  readonly data: T;
  /** 1 on the first try. */
  readonly attempt: number;
  /** Aborted when the worker is closing or the job's lease was lost; stop promptly. */
  readonly signal: AbortSignal;
}

/** Runs one job; the resolved value is kept as the job's result (JSON-serializable). */
export type JobHandler<T> = (job: JobContext<T>) => Promise<unknown>;

/** Options of {@link JobQueue.work}. */
export interface WorkOptions {
  /** @defaultValue 1 */
  readonly concurrency?: number;
}

/** A running worker. */
export interface JobWorker {
  /** Stops taking jobs and waits for running handlers to settle. Idempotent. */
  close(): Promise<void>;
}

/** What {@link JobQueue.get} tells about a job. */
export interface JobInfo {
  readonly id: string;
  readonly name: string;
  readonly state: JobState;
  readonly data: unknown;
  /** Tries started so far. */
  readonly attemptsMade: number;
  readonly attempts: number;
  /** ms since the epoch when a delayed or retrying job becomes due. */
  readonly runAt?: number;
  readonly result?: unknown;
  /** The last error's message. */
  readonly error?: string;
  readonly finishedAt?: number;
}
