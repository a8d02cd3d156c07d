import type { Clock } from '../../core/clock.js';
import { UserError } from '../../core/errors.js';
import { randomId } from '../../core/ids.js';
import type { Logger } from '../../core/log.js';
import { backoffDelayMs, type JobContext, type JobHandler, type JobWorker } from '../../core/stores/job-queue.js';
import type { JobRow, JobTable } from './job-queue-table.js';

/** What a worker needs from its queue. */
export interface WorkerHost {
  readonly table: JobTable;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly pollIntervalMs: number;
  readonly leaseMs: number;
  /** Deletes finished jobs past retention, at most once a minute per queue. */
  maybePurge(): void;
  /** Calls `wake` whenever a job of `name` is added through the same database handle; returns the unsubscribe. */
  subscribe(name: string, wake: () => void): () => void;
}

/** The longest error message kept with a job: enough to diagnose, bounded so a huge message cannot bloat the row. */
const MAX_ERROR_LENGTH = 4000;

/** Never spin faster than this, even when a job is due "now" but another process keeps winning it. */
const MIN_SLEEP_MS = 5;

/**
 * One `work()` subscription: a loop that claims due jobs of one name into free slots, runs each
 * under a lease renewed every leaseMs/3, and records the outcome only while the lease is still
 * its own. It sleeps until the next job is due, a local add wakes it, or pollIntervalMs passes
 * (the only way to hear of adds made by other processes).
 */
export class SqliteJobWorker<T> implements JobWorker {
  private readonly running = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private readonly unsubscribe: () => void;
  private readonly loopDone: Promise<void>;
  private stopping = false;
  private woken = false;
  private wakeSleeper: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly host: WorkerHost,
    private readonly name: string,
    private readonly handler: JobHandler<T>,
    private readonly concurrency: number,
  ) {
    this.unsubscribe = host.subscribe(name, () => this.wake());
    this.loopDone = this.loop();
  }

  /** Stops claiming, aborts the signals of running handlers and waits for them to settle. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping = true;
      this.unsubscribe();
      this.wake();
      for (const controller of this.controllers) controller.abort(new Error('the worker is closing'));
      await this.loopDone;
      await Promise.allSettled([...this.running]);
    })();
    return this.closing;
  }

  private async loop(): Promise<void> {
    const { table, logger } = this.host;
    while (!this.stopping) {
      if (!table.open) {
        // The handle was closed under us: the process is shutting down (or a test simulates a
        // crash). Nothing more can be claimed or recorded; leases will expire and others recover.
        logger.error({ jobName: this.name }, 'the queue database was closed; the worker stops');
        break;
      }
      if (this.running.size < this.concurrency) {
        let row: JobRow | undefined;
        try {
          this.host.maybePurge();
          const now = this.host.clock.now();
          row = table.claim(this.name, randomId(), now, now + this.host.leaseMs);
        } catch (error) {
          logger.warn({ err: error, jobName: this.name }, 'claiming a job failed; retrying after the poll interval');
          await this.sleep(this.host.pollIntervalMs);
          continue;
        }
        if (row) {
          this.start(row);
          continue;
        }
      }
      await this.sleep(this.waitMs());
    }
  }

  /** How long to sleep: until the next job is due (or a lease runs out), at most the poll interval. */
  private waitMs(): number {
    const poll = this.host.pollIntervalMs;
    if (this.running.size >= this.concurrency) return poll;
    let next: number | undefined;
    try {
      next = this.host.table.nextDueAt(this.name);
    } catch {
      return poll;
    }
    if (next === undefined) return poll;
    return Math.min(poll, Math.max(MIN_SLEEP_MS, next - this.host.clock.now()));
  }

  private start(row: JobRow): void {
    const owner = row.lease_owner as string;
    const controller = new AbortController();
    const context: JobContext<T> = {
      id: row.id,
      name: row.name,
      data: JSON.parse(row.data) as T,
      attempt: row.attempts_made,
      signal: controller.signal,
    };
    const renewal = setInterval(() => this.renew(row.id, owner, controller, renewal), Math.max(1, Math.floor(this.host.leaseMs / 3)));
    const run = (async () => {
      let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await this.handler(context) };
      } catch (error) {
        outcome = { ok: false, error };
      } finally {
        clearInterval(renewal);
      }
      this.settle(row, owner, outcome);
    })().finally(() => {
      this.running.delete(run);
      this.controllers.delete(controller);
      this.wake();
    });
    this.controllers.add(controller);
    this.running.add(run);
  }

  private renew(id: string, owner: string, controller: AbortController, timer: NodeJS.Timeout): void {
    let held = false;
    try {
      held = this.host.table.renewLease(id, owner, this.host.clock.now() + this.host.leaseMs);
    } catch (error) {
      this.host.logger.warn({ err: error, jobId: id }, 'renewing a job lease failed');
    }
    if (held) return;
    // Another worker may already run the job (our lease expired while the event loop was blocked,
    // or the database went away): tell the handler to stop; its outcome will not be recorded.
    clearInterval(timer);
    this.host.logger.warn({ jobId: id, jobName: this.name }, 'job lease lost; aborting its handler');
    controller.abort(new Error('the job lease was lost'));
  }

  private settle(row: JobRow, owner: string, outcome: { ok: true; value: unknown } | { ok: false; error: unknown }): void {
    const { table, logger, clock } = this.host;
    const now = clock.now();
    const log = { jobId: row.id, jobName: row.name, attempt: row.attempts_made };
    try {
      let recorded: boolean;
      let error = outcome.ok ? undefined : outcome.error;
      let result: string | null = null;
      if (outcome.ok) {
        try {
          // JSON.stringify answers undefined for undefined (a handler that returns nothing).
          const json: string | undefined = JSON.stringify(outcome.value);
          result = json ?? null;
        } catch (cause) {
          error = new UserError('WATCHPOST_ERR_JOB_PERMANENT', `the job's result is not JSON-serializable: ${(cause as Error).message}`);
        }
      }
      if (error === undefined) {
        recorded = table.markCompleted(row.id, owner, result, now);
        if (recorded) logger.debug(log, 'job completed');
      } else {
        const message = errorMessage(error);
        // A UserError (PermanentJobError among them) says retrying cannot help.
        if (error instanceof UserError || row.attempts_made >= row.attempts) {
          recorded = table.markFailed(row.id, owner, message, now);
          if (recorded) logger.warn({ ...log, error: message }, 'job failed');
        } else {
          const delay = backoffDelayMs({ type: row.backoff_type, delayMs: row.backoff_ms }, row.attempts_made);
          recorded = table.markRetry(row.id, owner, now + delay, message);
          if (recorded) logger.debug({ ...log, error: message, retryInMs: delay }, 'job attempt failed; retrying');
        }
      }
      if (!recorded) logger.warn(log, 'job finished after its lease was lost; its outcome is not recorded');
    } catch (error) {
      logger.error({ ...log, err: error }, 'recording the outcome of a job failed; it runs again once its lease expires');
    }
  }

  private wake(): void {
    this.woken = true;
    this.wakeSleeper?.();
  }

  private async sleep(ms: number): Promise<void> {
    if (this.woken || this.stopping) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleeper = done;
    });
    this.wakeSleeper = undefined;
    this.woken = false;
  }
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  return message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH)}…` : message;
}
