import type { RetentionConfig } from '../core/config/schema.js';
import type { Logger } from '../core/log.js';
import type { CaseStore } from '../core/stores/case-store.js';
import type { EventStore } from '../core/stores/event-store.js';
import type { JobQueue, JobWorker } from '../core/stores/job-queue.js';

/** The job name of the daily retention run. */
export const RETENTION_JOB = 'retention';
const DAY_MS = 24 * 3600 * 1000;
const SCHEDULE_EVERY_MS = 3600 * 1000;

/** What one retention run removed. */
export interface RetentionResult {
  readonly events: number;
  readonly audit: number;
  readonly sessions: number;
}

/** Applies the retention policy once: old events, old audit entries, expired sessions. */
export async function applyRetention(
  stores: { readonly events: EventStore; readonly cases: CaseStore },
  retention: Readonly<RetentionConfig>,
  nowMs: number,
): Promise<RetentionResult> {
  const events = await stores.events.deleteOlderThan(new Date(nowMs - retention.eventsDays * DAY_MS));
  const audit = await stores.cases.audit.deleteOlderThan(new Date(nowMs - retention.auditDays * DAY_MS));
  const sessions = await stores.cases.sessions.deleteMatching({ op: 'range', field: 'expiresAt', lt: new Date(nowMs).toISOString() });
  return { events, audit, sessions };
}

/**
 * Runs retention once a day through the job queue. Every worker process schedules the day's job
 * with the same id (`retention-YYYY-MM-DD`), so however many workers run it happens once a day.
 */
export function startMaintenance(deps: {
  readonly queue: JobQueue;
  readonly events: EventStore;
  readonly cases: CaseStore;
  readonly retention: Readonly<RetentionConfig>;
  readonly logger: Logger;
}): { close(): Promise<void> } {
  const worker: JobWorker = deps.queue.work(RETENTION_JOB, async () => {
    const removed = await applyRetention(deps, deps.retention, Date.now());
    deps.logger.info(removed, 'retention applied');
    return removed;
  });
  const schedule = (): void => {
    const day = new Date().toISOString().slice(0, 10);
    deps.queue.add({ name: RETENTION_JOB, id: `retention-${day}`, data: { day } }).catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'scheduling the retention job failed; retrying within the hour');
    });
  };
  schedule();
  const timer = setInterval(schedule, SCHEDULE_EVERY_MS);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await worker.close();
    },
  };
}
