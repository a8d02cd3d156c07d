import type { Statement } from 'better-sqlite3';
import { OperationalError, UserError } from '../../core/errors.js';
import type { JobInfo, JobState, ValidatedJob } from '../../core/stores/job-queue.js';
import { migrate, type SqliteDatabase } from './database.js';

/**
 * The queue's migrations. Append, never edit. `seq` orders jobs due at the same ms by insertion;
 * `id` is the idempotency key across every name. `waiting` and `delayed` are stored as written,
 * but readers derive them from `run_at` (a delayed job becomes waiting by the clock alone).
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE queue_jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'delayed', 'active', 'completed', 'failed')),
    attempts INTEGER NOT NULL,
    attempts_made INTEGER NOT NULL DEFAULT 0,
    backoff_type TEXT NOT NULL,
    backoff_ms INTEGER NOT NULL,
    run_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    result TEXT,
    error TEXT,
    finished_at INTEGER
  );
  CREATE INDEX queue_jobs_due ON queue_jobs (name, state, run_at, seq);
  CREATE INDEX queue_jobs_leases ON queue_jobs (lease_until) WHERE state = 'active';
  CREATE INDEX queue_jobs_finished ON queue_jobs (finished_at) WHERE finished_at IS NOT NULL;`,
];

/** One row of `queue_jobs`. */
export interface JobRow {
  readonly seq: number;
  readonly id: string;
  readonly name: string;
  readonly data: string;
  readonly state: JobState;
  readonly attempts: number;
  readonly attempts_made: number;
  readonly backoff_type: 'fixed' | 'exponential';
  readonly backoff_ms: number;
  readonly run_at: number;
  readonly created_at: number;
  readonly lease_owner: string | null;
  readonly lease_until: number | null;
  readonly result: string | null;
  readonly error: string | null;
  readonly finished_at: number | null;
}

/** Why a recovered job's last try ended, as its error shows it. */
export const LEASE_EXPIRED_MESSAGE = 'lease expired before the job finished (its worker died or stalled)';

/**
 * The SQL of the queue: every statement prepared once per database handle, every write that must
 * be atomic across processes in an IMMEDIATE transaction (which takes SQLite's write lock up
 * front, so two processes never both read a job as due and both claim it).
 */
export class JobTable {
  private readonly insert: Statement<[string, string, string, string, number, string, number, number, number]>;
  private readonly deleteExpiredById: Statement<[string, number]>;
  private readonly selectById: Statement<[string], JobRow>;
  private readonly failExpiredLeases: Statement<[string, number, number]>;
  private readonly requeueExpiredLeases: Statement<[string, number]>;
  private readonly claimDue: Statement<[string, number, string, number], JobRow>;
  private readonly anyWork: Statement<[string, number, number], { work: number }>;
  private readonly nextDue: Statement<[string], { next: number | null }>;
  private readonly renew: Statement<[number, string, string]>;
  private readonly complete: Statement<[string | null, number, string, string]>;
  private readonly retry: Statement<[number, string, string, string]>;
  private readonly fail: Statement<[string, number, string, string]>;
  private readonly deleteQueued: Statement<[string]>;
  private readonly purge: Statement<[number]>;
  private readonly countAll: Statement<[number], { state: JobState; n: number }>;
  private readonly countByName: Statement<[number, string], { state: JobState; n: number }>;

  constructor(private readonly db: SqliteDatabase) {
    migrate(db, 'queue', MIGRATIONS);
    this.insert = db.prepare(
      `INSERT INTO queue_jobs (id, name, data, state, attempts, backoff_type, backoff_ms, run_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    this.deleteExpiredById = db.prepare(
      `DELETE FROM queue_jobs WHERE id = ? AND state IN ('completed', 'failed') AND finished_at <= ?`,
    );
    this.selectById = db.prepare('SELECT * FROM queue_jobs WHERE id = ?');
    // A lease that ran out on the last attempt fails the job, as BullMQ fails a job that stalled
    // once too often; otherwise the job goes back to the line with its place (run_at) kept.
    this.failExpiredLeases = db.prepare(
      `UPDATE queue_jobs SET state = 'failed', error = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL
       WHERE state = 'active' AND lease_until <= ? AND attempts_made >= attempts`,
    );
    this.requeueExpiredLeases = db.prepare(
      `UPDATE queue_jobs SET state = 'waiting', error = ?, lease_owner = NULL, lease_until = NULL
       WHERE state = 'active' AND lease_until <= ?`,
    );
    this.claimDue = db.prepare(
      `UPDATE queue_jobs SET state = 'active', attempts_made = attempts_made + 1, lease_owner = ?, lease_until = ?
       WHERE id = (SELECT id FROM queue_jobs WHERE name = ? AND state IN ('waiting', 'delayed') AND run_at <= ?
                   ORDER BY run_at, seq LIMIT 1)
       RETURNING *`,
    );
    this.anyWork = db.prepare(
      `SELECT EXISTS (SELECT 1 FROM queue_jobs WHERE name = ? AND state IN ('waiting', 'delayed') AND run_at <= ?)
           OR EXISTS (SELECT 1 FROM queue_jobs WHERE state = 'active' AND lease_until <= ?) AS work`,
    );
    this.nextDue = db.prepare(
      `SELECT MIN(CASE WHEN state = 'active' THEN lease_until ELSE run_at END) AS next
       FROM queue_jobs WHERE name = ? AND state IN ('waiting', 'delayed', 'active')`,
    );
    this.renew = db.prepare(`UPDATE queue_jobs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND state = 'active'`);
    this.complete = db.prepare(
      `UPDATE queue_jobs SET state = 'completed', result = ?, error = NULL, finished_at = ?, lease_owner = NULL, lease_until = NULL
       WHERE id = ? AND lease_owner = ? AND state = 'active'`,
    );
    this.retry = db.prepare(
      `UPDATE queue_jobs SET state = 'delayed', run_at = ?, error = ?, lease_owner = NULL, lease_until = NULL
       WHERE id = ? AND lease_owner = ? AND state = 'active'`,
    );
    this.fail = db.prepare(
      `UPDATE queue_jobs SET state = 'failed', error = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL
       WHERE id = ? AND lease_owner = ? AND state = 'active'`,
    );
    this.deleteQueued = db.prepare(`DELETE FROM queue_jobs WHERE id = ? AND state IN ('waiting', 'delayed')`);
    this.purge = db.prepare(`DELETE FROM queue_jobs WHERE state IN ('completed', 'failed') AND finished_at <= ?`);
    const derivedState = `CASE WHEN state IN ('waiting', 'delayed') THEN (CASE WHEN run_at > ? THEN 'delayed' ELSE 'waiting' END) ELSE state END`;
    this.countAll = db.prepare(`SELECT ${derivedState} AS state, COUNT(*) AS n FROM queue_jobs GROUP BY 1`);
    this.countByName = db.prepare(`SELECT ${derivedState} AS state, COUNT(*) AS n FROM queue_jobs WHERE name = ? GROUP BY 1`);
  }

  /** Inserts a job unless its id is known; a finished job older than `purgeBefore` no longer counts as known. */
  add(job: ValidatedJob, now: number, purgeBefore: number): boolean {
    return this.guard(() =>
      this.db
        .transaction(() => {
          this.deleteExpiredById.run(job.id, purgeBefore);
          const state = job.delayMs > 0 ? 'delayed' : 'waiting';
          const runAt = now + job.delayMs;
          return (
            this.insert.run(job.id, job.name, job.payload, state, job.attempts, job.backoff.type, job.backoff.delayMs, runAt, now).changes > 0
          );
        })
        .immediate(),
    );
  }

  /** Takes the next due job of `name` for `owner` until `leaseUntil`, first returning expired leases to the line. */
  claim(name: string, owner: string, now: number, leaseUntil: number): JobRow | undefined {
    // An idle worker polls several times a second; a plain read first keeps it from taking the
    // write lock (and making ingest's writers wait) when there is nothing to take.
    if (this.guard(() => this.anyWork.get(name, now, now)?.work) !== 1) return undefined;
    return this.guard(() =>
      this.db
        .transaction(() => {
          this.failExpiredLeases.run(LEASE_EXPIRED_MESSAGE, now, now);
          this.requeueExpiredLeases.run(LEASE_EXPIRED_MESSAGE, now);
          return this.claimDue.get(owner, leaseUntil, name, now);
        })
        .immediate(),
    );
  }

  /** When the next job of `name` becomes due or its lease runs out, if any. */
  nextDueAt(name: string): number | undefined {
    return this.guard(() => this.nextDue.get(name)?.next ?? undefined);
  }

  /** Extends a lease; false when the lease is no longer `owner`'s. */
  renewLease(id: string, owner: string, leaseUntil: number): boolean {
    return this.guard(() => this.renew.run(leaseUntil, id, owner).changes > 0);
  }

  /** Records success; false when the lease was lost (the outcome is then not recorded), as for the two below. */
  markCompleted(id: string, owner: string, result: string | null, now: number): boolean {
    return this.guard(() => this.complete.run(result, now, id, owner).changes > 0);
  }

  /** Puts the job back, due at `runAt`, keeping the error. */
  markRetry(id: string, owner: string, runAt: number, error: string): boolean {
    return this.guard(() => this.retry.run(runAt, error, id, owner).changes > 0);
  }

  /** Fails the job for good. */
  markFailed(id: string, owner: string, error: string, now: number): boolean {
    return this.guard(() => this.fail.run(error, now, id, owner).changes > 0);
  }

  /** The row of `id`, whatever its state. */
  get(id: string): JobRow | undefined {
    return this.guard(() => this.selectById.get(id));
  }

  /** Deletes `id` if it is waiting or delayed; false otherwise. */
  cancel(id: string): boolean {
    return this.guard(() => this.deleteQueued.run(id).changes > 0);
  }

  /** Deletes finished jobs that finished at or before `before`; returns how many. */
  purgeFinished(before: number): number {
    return this.guard(() => this.purge.run(before).changes);
  }

  /** Jobs per state (waiting and delayed told apart by `now`), of one name or all. */
  counts(now: number, name?: string): Record<JobState, number> {
    const rows = this.guard(() => (name === undefined ? this.countAll.all(now) : this.countByName.all(now, name)));
    const counts: Record<JobState, number> = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 };
    for (const row of rows) counts[row.state] += row.n;
    return counts;
  }

  /** True while the handle can be used; a closed handle means the process is going away. */
  get open(): boolean {
    return this.db.open;
  }

  /** Throws when the database cannot answer. */
  ping(): void {
    this.guard(() => this.db.prepare('SELECT 1').get());
  }

  // SQLITE_BUSY (another process held the write lock past busy_timeout) or a closed handle is a
  // dependency problem the caller may retry, not a bug.
  private guard<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new OperationalError('WATCHPOST_ERR_QUEUE_UNAVAILABLE', `the job queue database failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/** A row as {@link JobInfo}, with waiting/delayed derived from the clock. */
export function toJobInfo(row: JobRow, now: number): JobInfo {
  const queued = row.state === 'waiting' || row.state === 'delayed';
  const state: JobState = queued ? (row.run_at > now ? 'delayed' : 'waiting') : row.state;
  return {
    id: row.id,
    name: row.name,
    state,
    data: JSON.parse(row.data) as unknown,
    attemptsMade: row.attempts_made,
    attempts: row.attempts,
    ...(state === 'delayed' ? { runAt: row.run_at } : {}),
    ...(row.result !== null ? { result: JSON.parse(row.result) as unknown } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
  };
}
