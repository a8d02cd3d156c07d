/**
 * Composes the weekly report for a process: the figures over this process's stores (with the
 * country and AS lookup), the PDF renderer, the mail through the smtp driver that
 * `reports.mail.driver` names, and — in the worker role — the job handler and the weekly schedule.
 * The API role gets the same operations (list, download, request) without running jobs.
 */
import { SYSTEM_CLOCK, type Clock } from '../core/clock.js';
import type { Config } from '../core/config/schema.js';
import { formatProblem, UserError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { WEEKLY_REPORT_JOB, type ReportJob, type ReportOperations } from '../core/reports/types.js';
import type { CaseStore } from '../core/stores/case-store.js';
import type { EventStore } from '../core/stores/event-store.js';
import type { JobQueue, JobWorker } from '../core/stores/job-queue.js';
import { DRIVER_TYPES } from '../playbooks/actions/index.js';
import { smtpSender } from '../playbooks/actions/notify/smtp.js';
import { buildDrivers } from '../playbooks/actions/registry.js';
import type { Driver, DriverType } from '../playbooks/actions/types.js';
import { gatherWeeklyFigures } from '../reports/figures/index.js';
import {
  checkTimeZone,
  createReportOperations,
  reportJobHandler,
  startReportSchedule,
  type RenderReport,
  type ReportDependencies,
  type ReportJobRetry,
  type ReportMailer,
  type ReportSchedule,
  type RunningReportSchedule,
} from '../reports/index.js';
import { createIpInfoLookup, IP_DATA_ATTRIBUTION } from '../reports/ip-info.js';
import { renderWeeklyReport } from '../reports/render/index.js';

/** What composing the report needs. */
export interface ReportCompositionOptions {
  readonly config: Readonly<Config>;
  readonly events: EventStore;
  readonly cases: CaseStore;
  readonly logger: Logger;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** @defaultValue process.env, for the smtp driver's secrets given as `{ env: NAME }` */
  readonly env?: NodeJS.ProcessEnv;
  /** @defaultValue DRIVER_TYPES */
  readonly driverTypes?: readonly DriverType[];
  /** @defaultValue reports/render's renderWeeklyReport */
  readonly render?: RenderReport;
}

/** The report's dependencies as composed, and what to close when done. */
export interface ComposedReport {
  readonly deps: ReportDependencies;
  /** Closes the mail driver's connection. Idempotent. */
  close(): Promise<void>;
}

/** The source ids a deployment configures: a configured source that sent nothing is reported silent. */
function configuredSources(config: Readonly<Config>): string[] {
  return [...config.ingest.syslog.map((source) => source.id), ...config.ingest.files.map((source) => source.id)];
}

/**
 * The mailer of `reports.mail`: undefined when no driver or no recipient is named (reports are
 * kept, not mailed). A named driver that cannot be built (absent, not smtp, disabled, a secret
 * that does not resolve) gives a mailer whose every send fails with why, so each report records
 * the reason in `mail.error` instead of going unmailed in silence.
 */
function composeMailer(options: ReportCompositionOptions): { mailer?: ReportMailer; driver?: Driver } {
  const { config, logger } = options;
  const { driver: id, to } = config.reports.mail;
  if (id === undefined || to.length === 0) return {};
  const index = config.response.drivers.findIndex((candidate) => candidate.id === id);
  const entry = config.response.drivers[index];
  const refuse = (message: string): { mailer: ReportMailer } => {
    logger.error({ path: 'reports.mail.driver', problem: message }, `weekly reports will not be mailed: ${message}`);
    const error = new UserError('WATCHPOST_ERR_CONFIG_INVALID', `reports.mail.driver: ${message}`);
    return { mailer: { to, send: () => Promise.reject(error) } };
  };
  if (!entry) return refuse(`no driver ${id} in response.drivers: name an smtp driver there`);
  if (entry.type !== 'smtp') return refuse(`driver ${id} is of type ${entry.type}; the report is mailed through an smtp driver`);
  if (!entry.enabled) return refuse(`driver ${id} is disabled`);
  const built = buildDrivers([entry], options.driverTypes ?? DRIVER_TYPES, { logger: logger.child({ component: 'drivers' }), clock: options.clock ?? SYSTEM_CLOCK }, options.env ?? process.env);
  const driver = built.drivers.get(id);
  const send = driver ? smtpSender(driver) : undefined;
  if (!driver || !send) {
    const problems = built.problems.map((problem) => formatProblem({ ...problem, path: problem.path?.replace(/^response\.drivers\[0\]/, `response.drivers[${index}]`) }));
    return refuse(`driver ${id} cannot be used: ${problems.join('; ') || 'it is not an smtp driver'}`);
  }
  return { mailer: { to, send }, driver };
}

/**
 * The report's dependencies over these stores: figures (with country and AS of the top
 * attackers), the renderer, the organisation and its logo, the schedule's time zone, the mailer.
 */
export function composeReport(options: ReportCompositionOptions): ComposedReport {
  const { config, logger } = options;
  const clock = options.clock ?? SYSTEM_CLOCK;
  const log = logger.child({ component: 'reports' });
  const ipInfo = createIpInfoLookup();
  const sources = configuredSources(config);
  const { mailer, driver } = composeMailer({ ...options, logger: log });
  const deps: ReportDependencies = {
    cases: options.cases,
    gather: (period, nowMs) =>
      gatherWeeklyFigures(
        { cases: options.cases, events: options.events, sla: config.alerting.sla, organization: config.organization.name, sources, ipInfo, nowMs, log },
        period,
      ),
    render: options.render ?? renderWeeklyReport,
    organization: { name: config.organization.name, ...(config.organization.logo !== undefined ? { logo: config.organization.logo } : {}) },
    timeZone: config.reports.schedule.timeZone,
    attribution: IP_DATA_ATTRIBUTION,
    ...(mailer ? { mailer } : {}),
    clock,
    logger: log,
  };
  let closing: Promise<void> | undefined;
  return {
    deps,
    close: () =>
      (closing ??= (async () => {
        try {
          await driver?.close?.();
        } catch (error) {
          log.warn({ err: error }, 'closing the report mail driver failed');
        }
      })()),
  };
}

/** Options of {@link startReports}. */
export interface ReportsOptions extends ReportCompositionOptions {
  readonly queue: JobQueue;
  /** Whether this process runs report jobs and the schedule (the worker role); the API role only queues. */
  readonly work: boolean;
  /** @defaultValue every 10 minutes */
  readonly scheduleEveryMs?: number;
  /** @defaultValue 5 attempts, exponential from one minute */
  readonly retry?: ReportJobRetry;
}

/** The weekly report as composed in this process. */
export interface RunningReports {
  /** What the API's report routes call. */
  readonly operations: ReportOperations;
  /** The schedule, when this process works (for tests and diagnostics). */
  readonly schedule?: RunningReportSchedule;
  /** Stops the schedule and the job handler (waiting for a running generation), closes the mail driver. Idempotent. */
  close(): Promise<void>;
}

/**
 * Composes the weekly report. With `work`, runs the `weekly-report` jobs and the schedule (a tick
 * at start, then every 10 minutes; with `reports.enabled: false` only retention and manual
 * requests). Throws a UserError for a time zone this runtime does not know.
 */
export function startReports(options: ReportsOptions): RunningReports {
  const { config } = options;
  const clock = options.clock ?? SYSTEM_CLOCK;
  checkTimeZone(config.reports.schedule.timeZone);
  const operations = createReportOperations({ cases: options.cases, queue: options.queue, timeZone: config.reports.schedule.timeZone, clock, ...(options.retry ? { retry: options.retry } : {}) });
  if (!options.work) return { operations, close: () => Promise.resolve() };
  const composed = composeReport(options);
  const worker: JobWorker = options.queue.work<ReportJob>(WEEKLY_REPORT_JOB, reportJobHandler(composed.deps));
  const schedule = startReportSchedule({
    queue: options.queue,
    cases: options.cases,
    // The schema's union of day names reaches TypeScript as string; the schema checked it.
    schedule: config.reports.schedule as ReportSchedule,
    enabled: config.reports.enabled,
    keepWeeks: config.reports.keepWeeks,
    clock,
    logger: composed.deps.logger,
    ...(options.scheduleEveryMs !== undefined ? { everyMs: options.scheduleEveryMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  let closing: Promise<void> | undefined;
  return {
    operations,
    schedule,
    close: () =>
      (closing ??= (async () => {
        await schedule.close();
        await worker.close();
        await composed.close();
      })()),
  };
}
