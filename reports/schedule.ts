/**
 * The weekly schedule: every worker adds the job of the week that is due, under the week's
 * deterministic job id, when it starts and then every few minutes. The queue adds an id once, so
 * however many workers tick (and however often they restart) the week is generated once; the
 * same tick deletes reports past `reports.keepWeeks`.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { reportJobId, WEEKLY_REPORT_JOB, type IsoWeek, type ReportJob } from '../core/reports/types.js';
import type { CaseStore } from '../core/stores/case-store.js';
import type { JobQueue } from '../core/stores/job-queue.js';
import { forEachRecord } from './figures/paging.js';
import { dueWeek, type ReportSchedule } from './week.js';

/** `requestedBy` of the scheduled generation. */
export const SCHEDULE_REQUESTER = 'schedule';

/** How often a worker looks for a due week. */
export const SCHEDULE_EVERY_MS = 10 * 60_000;

/** Tries and backoff of a report job: a store or SMTP outage of a quarter of an hour is waited out. */
export interface ReportJobRetry {
  /** @defaultValue 5 */
  readonly attempts: number;
  /** Exponential from this many ms. @defaultValue 60000 */
  readonly backoffMs: number;
}

/** The retry of report jobs when none is given. */
export const DEFAULT_REPORT_RETRY: ReportJobRetry = { attempts: 5, backoffMs: 60_000 };

const DAY_MS = 86_400_000;

/**
 * Adds a report job: the schedule's under the week's id (added once), a manual one under the
 * week's id and a random suffix (so it runs even after the scheduled one).
 */
export async function addReportJob(
  queue: JobQueue,
  job: ReportJob,
  options: { readonly manual: boolean; readonly retry?: ReportJobRetry },
): Promise<{ readonly jobId: string; readonly added: boolean }> {
  const retry = options.retry ?? DEFAULT_REPORT_RETRY;
  const id = options.manual ? reportJobId(job.week, randomBytes(6).toString('hex')) : reportJobId(job.week);
  const { added } = await queue.add<ReportJob>({
    name: WEEKLY_REPORT_JOB,
    id,
    data: { week: job.week, mail: job.mail, requestedBy: job.requestedBy },
    attempts: retry.attempts,
    backoff: { type: 'exponential', delayMs: retry.backoffMs },
  });
  return { jobId: id, added };
}

/**
 * Deletes the reports (record and PDF) whose week ended more than `keepWeeks` weeks before
 * `nowMs`; returns how many. The PDF goes first, so a crash in between leaves a record whose
 * download is missing rather than an orphan file nobody lists.
 */
export async function deleteExpiredReports(cases: CaseStore, keepWeeks: number, nowMs: number): Promise<number> {
  const cutoff = new Date(nowMs - keepWeeks * 7 * DAY_MS).toISOString();
  const ids: string[] = [];
  await forEachRecord(cases.reports, { filter: { op: 'range', field: 'period.to', lt: cutoff }, sort: 'period.to' }, (record) => ids.push(record.id));
  for (const id of ids) {
    await cases.reportFiles.delete(id);
    await cases.reports.delete(id);
  }
  return ids.length;
}

/** What {@link startReportSchedule} needs. */
export interface ReportScheduleOptions {
  readonly queue: JobQueue;
  readonly cases: CaseStore;
  readonly schedule: ReportSchedule;
  /** `reports.enabled`: false adds no scheduled job (retention still runs). */
  readonly enabled: boolean;
  readonly keepWeeks: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** @defaultValue {@link SCHEDULE_EVERY_MS} */
  readonly everyMs?: number;
  /** @defaultValue {@link DEFAULT_REPORT_RETRY} */
  readonly retry?: ReportJobRetry;
}

/** A running schedule. */
export interface RunningReportSchedule {
  /** One tick now: adds the due week's job (once per week across workers), then applies retention. */
  tick(): Promise<{ readonly week?: IsoWeek; readonly added: boolean; readonly deleted: number }>;
  /** Stops the timer and waits for a running tick. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the schedule: a tick at once and one every `everyMs` (an unref'd timer, so it keeps no
 * process alive). A failed tick is logged and tried again at the next one.
 */
export function startReportSchedule(options: ReportScheduleOptions): RunningReportSchedule {
  const { queue, cases, clock, logger } = options;
  let running: Promise<unknown> = Promise.resolve();
  let closed = false;

  const tick = async (): Promise<{ week?: IsoWeek; added: boolean; deleted: number }> => {
    const nowMs = clock.now();
    let week: IsoWeek | undefined;
    let added = false;
    if (options.enabled) {
      week = dueWeek(nowMs, options.schedule);
      ({ added } = await addReportJob(queue, { week, mail: true, requestedBy: SCHEDULE_REQUESTER }, { manual: false, ...(options.retry ? { retry: options.retry } : {}) }));
      if (added) logger.info({ week, jobId: reportJobId(week) }, 'weekly report scheduled');
    }
    const deleted = await deleteExpiredReports(cases, options.keepWeeks, nowMs);
    if (deleted > 0) logger.info({ deleted, keepWeeks: options.keepWeeks }, 'old weekly reports deleted');
    return { ...(week !== undefined ? { week } : {}), added, deleted };
  };

  const background = (): void => {
    if (closed) return;
    const next = running.then(tick).catch((error: unknown) => {
      logger.warn({ err: error }, 'scheduling the weekly report failed; trying again at the next tick');
    });
    running = next;
  };
  background();
  const timer = setInterval(background, options.everyMs ?? SCHEDULE_EVERY_MS);
  timer.unref();
  return {
    tick: () => {
      const next = running.then(tick);
      running = next.catch(() => undefined);
      return next;
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}
