import { UserError, type Problem } from '../errors.js';
import type { BackendHealth } from './event-store.js';

/**
 * A durable queue of named jobs: playbook steps, delayed unblocks, the weekly report.
 * Implemented by backends/sqlite (embedded) and backends/redis (BullMQ); the contract suite in
 * test/contracts/job-queue.contract.ts holds both to the semantics written here.
 *
 * Delivery is at least once: a job whose worker dies mid-run is run again after its lease
 * expires. Handlers must therefore be idempotent, and job ids deterministic, so that a retry
 * or a duplicate add is harmless. The lost run counts as an attempt: a job whose lease expires
 * on its last attempt fails ("lease expired ...") instead of running again.
 */
export interface JobQueue {
  /** The technology, as /api/health reports it: "sqlite" or "redis". */
  readonly kind: string;

  /**
   * Adds a job. Idempotent by id across every job name: when a job with this id is known
   * (waiting, delayed, active, completed or failed, until it is purged once the backend's
   * retention, `retention.jobsDays`, has passed since it finished) nothing is added and `added`
   * is false. Durable when the promise resolves. Rejects with a UserError
   * (WATCHPOST_ERR_QUEUE_INVALID_JOB) when {@link validateNewJob} does.
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

  /**
   * Removes a waiting or delayed job (e.g. a scheduled unblock made moot); true if removed. An
   * active or finished job is left alone (false). A removed id is forgotten and may be added again.
   */
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

/**
 * Thrown by a job handler when retrying cannot help (the target does not exist, the input is
 * refused): the job fails at once, without using its remaining attempts.
 */
export class PermanentJobError extends UserError {
  constructor(message: string, options?: ConstructorParameters<typeof UserError>[2]) {
    super('WATCHPOST_ERR_JOB_PERMANENT', message, options);
  }
}

/** What a job name may be: [a-z0-9-], 1 to 64 characters. */
export const JOB_NAME_PATTERN = /^[a-z0-9-]{1,64}$/;

/** What a job id may be: [A-Za-z0-9._-], 1 to 200 characters (no colon: BullMQ reserves it). */
export const JOB_ID_PATTERN = /^[A-Za-z0-9._-]{1,200}$/;

/** The largest payload, serialized as JSON (UTF-8 bytes). */
export const MAX_JOB_PAYLOAD_BYTES = 512 * 1024;

/** The most tries a job may ask for; more is a mistake, not a policy. */
export const MAX_JOB_ATTEMPTS = 100;

/** The longest delay or backoff a job may ask for: one year. */
export const MAX_JOB_DELAY_MS = 365 * 24 * 3600 * 1000;

/** A job that passed {@link validateNewJob}, with its defaults applied and its payload serialized. */
export interface ValidatedJob {
  readonly id: string;
  readonly name: string;
  /** `data` as JSON. */
  readonly payload: string;
  readonly delayMs: number;
  readonly attempts: number;
  readonly backoff: { readonly type: 'fixed' | 'exponential'; readonly delayMs: number };
}

/**
 * Checks a job against the limits of {@link NewJob} and applies its defaults. Every backend calls
 * it in `add`, so a job refused by one is refused by all. Throws a UserError
 * (WATCHPOST_ERR_QUEUE_INVALID_JOB) listing every problem at once.
 */
export function validateNewJob<T>(job: NewJob<T>): ValidatedJob {
  const problems: Problem[] = [];
  const name: unknown = job.name;
  const id: unknown = job.id;
  if (typeof name !== 'string' || !JOB_NAME_PATTERN.test(name)) {
    problems.push({ path: 'name', message: 'job name must be 1-64 characters of [a-z0-9-]' });
  }
  if (typeof id !== 'string' || !JOB_ID_PATTERN.test(id)) {
    problems.push({ path: 'id', message: 'job id must be 1-200 characters of [A-Za-z0-9._-]' });
  }
  let payload: string | undefined;
  try {
    // Typed as string, but undefined for undefined, a function or a symbol.
    payload = JSON.stringify(job.data);
  } catch (error) {
    problems.push({ path: 'data', message: `job data is not JSON-serializable: ${(error as Error).message}` });
  }
  if (payload === undefined) {
    if (problems.every((p) => p.path !== 'data')) problems.push({ path: 'data', message: 'job data is not JSON-serializable' });
  } else if (Buffer.byteLength(payload, 'utf8') > MAX_JOB_PAYLOAD_BYTES) {
    problems.push({ path: 'data', message: `job data exceeds ${MAX_JOB_PAYLOAD_BYTES} bytes as JSON` });
  }
  const delayMs = job.delayMs ?? 0;
  if (!isIntegerIn(delayMs, 0, MAX_JOB_DELAY_MS)) {
    problems.push({ path: 'delayMs', message: `delayMs must be an integer from 0 to ${MAX_JOB_DELAY_MS}` });
  }
  const attempts = job.attempts ?? DEFAULT_JOB_ATTEMPTS;
  if (!isIntegerIn(attempts, 1, MAX_JOB_ATTEMPTS)) {
    problems.push({ path: 'attempts', message: `attempts must be an integer from 1 to ${MAX_JOB_ATTEMPTS}` });
  }
  const backoff = job.backoff ?? DEFAULT_JOB_BACKOFF;
  if (backoff.type !== 'fixed' && backoff.type !== 'exponential') {
    problems.push({ path: 'backoff.type', message: 'backoff.type must be "fixed" or "exponential"' });
  }
  if (!isIntegerIn(backoff.delayMs, 0, MAX_JOB_DELAY_MS)) {
    problems.push({ path: 'backoff.delayMs', message: `backoff.delayMs must be an integer from 0 to ${MAX_JOB_DELAY_MS}` });
  }
  if (problems.length > 0 || payload === undefined) {
    throw new UserError('WATCHPOST_ERR_QUEUE_INVALID_JOB', `invalid job: ${problems.map((p) => p.message).join('; ')}`, {
      problems,
      details: typeof id === 'string' && id.length <= 200 ? { jobId: id } : {},
    });
  }
  return { id: id as string, name: name as string, payload, delayMs, attempts, backoff: { type: backoff.type, delayMs: backoff.delayMs } };
}

/** Tries a job gets when {@link NewJob.attempts} is not given. */
export const DEFAULT_JOB_ATTEMPTS = 3;

/** Backoff of a job when {@link NewJob.backoff} is not given. */
export const DEFAULT_JOB_BACKOFF = { type: 'exponential', delayMs: 1000 } as const satisfies NewJob<unknown>['backoff'];

/** The wait before retry `n` (1-based): fixed `delayMs`, or exponential `delayMs * 2^(n-1)`. */
export function backoffDelayMs(backoff: ValidatedJob['backoff'], retry: number): number {
  if (backoff.type === 'fixed') return backoff.delayMs;
  return Math.min(backoff.delayMs * 2 ** Math.max(0, retry - 1), MAX_JOB_DELAY_MS);
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
