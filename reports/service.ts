/**
 * The weekly report as a service: generate a week (gather the figures, render the PDF, keep the
 * PDF and its record in the case store, mail it), the job handler that does it on the worker, and
 * the read side the API lists and downloads from.
 *
 * Effectively once: a week has one record (`weekly.<week>`), replaced by a later generation; the
 * PDF is written before its record, so a ready record always has its file. A mail that failed
 * leaves the report kept and ready; the job's retry sends the mail again from the kept PDF
 * instead of generating a new one, with the same Message-ID (derived from the report id and the
 * PDF's digest), so a receiver that got the first attempt sees the second as the same message.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';
import { hasCode, OperationalError, UserError, WatchpostError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import {
  MAX_REPORT_BYTES,
  reportId,
  type IsoWeek,
  type ReportFile,
  type ReportJob,
  type ReportOperations,
  type ReportPeriod,
  type ReportRecord,
  type WeeklyFigures,
} from '../core/reports/types.js';
import type { CaseStore, Collection, Stored } from '../core/stores/case-store.js';
import { PermanentJobError, type JobHandler, type JobQueue } from '../core/stores/job-queue.js';
import { forEachRecord } from './figures/paging.js';
import { checkLogo, MAX_LOGO_BYTES } from './render/index.js';
import { executiveSummary } from './render/summary.js';
import { addReportJob, SCHEDULE_REQUESTER, type ReportJobRetry } from './schedule.js';
import { lastFullWeek, localDate, parseWeek, weekPeriod } from './week.js';

/** Gathers the figures of a period as of `nowMs` (reports/figures' `gatherWeeklyFigures`, bound to its stores). */
export type GatherFigures = (period: ReportPeriod, nowMs: number) => Promise<WeeklyFigures>;

/** Renders the figures as a PDF (reports/render's `renderWeeklyReport`). */
export type RenderReport = (
  figures: WeeklyFigures,
  options: { readonly logo?: Buffer; readonly attribution?: string },
) => Promise<{ readonly pdf: Buffer; readonly pages: number }>;

/** A message with the report attached, as an smtp driver sends it. */
export interface ReportMessage {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly attachments: readonly { readonly filename: string; readonly content: Buffer; readonly contentType: string }[];
}

/**
 * Sends a message: the Message-ID derives from `idempotencyKey`. Throws an OperationalError when
 * retrying may help (unreachable, a 4xx answer) and a UserError when it cannot (a 5xx answer).
 */
export type SendReportMail = (
  message: ReportMessage,
  context: { readonly idempotencyKey: string; readonly signal: AbortSignal },
) => Promise<{ readonly messageId: string; readonly accepted: readonly string[]; readonly rejected: readonly string[] }>;

/** Where the report is mailed: the recipients of `reports.mail.to` and the configured smtp driver's sender. */
export interface ReportMailer {
  readonly to: readonly string[];
  readonly send: SendReportMail;
}

/** What generating a report needs; composed by cli/. */
export interface ReportDependencies {
  readonly cases: CaseStore;
  readonly gather: GatherFigures;
  readonly render: RenderReport;
  /** `organization` of the config: its name heads the mail; its logo file is read at each generation. */
  readonly organization: { readonly name: string; readonly logo?: string };
  /** `reports.schedule.timeZone`: the zone of the weeks' bounds. */
  readonly timeZone: string;
  /** The IP data's licence line, printed in the report's appendix. */
  readonly attribution?: string;
  /** Absent when no smtp driver or no recipient is configured: reports are kept, not mailed. */
  readonly mailer?: ReportMailer;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** One generation. */
export interface GenerateRequest {
  readonly week: IsoWeek;
  /** `schedule`, `cli` or the user who asked. */
  readonly requestedBy: string;
  /** Mail it when a mailer is configured. */
  readonly mail: boolean;
  readonly signal?: AbortSignal;
}

/** A generated report: its record as stored and the PDF (absent when the record is `failed`). */
export interface GeneratedReport {
  readonly record: ReportRecord;
  readonly pdf?: Buffer;
}

/** How many times a write is retried when another process wrote the same record in between. */
const WRITE_TRIES = 4;
/** How many sentences of the executive summary the mail body quotes. */
const MAIL_SENTENCES = 2;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The file name of a week's PDF, as attached and as the API serves it. */
export function reportFileName(week: IsoWeek): string {
  return `watchpost-weekly-${week}.pdf`;
}

/**
 * Reads and checks the organisation's logo: a PNG or JPEG file of at most 2 MB. Read at each
 * generation so a replaced logo needs no restart; a bad one fails the report with its reason.
 */
export async function readLogo(file: string): Promise<Buffer> {
  const refuse = (why: string): UserError => new UserError('WATCHPOST_ERR_REPORT_INVALID', `organization.logo: ${why}`, { details: { file } });
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw refuse(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw refuse(`${file} is not a file`);
    if (stat.size > MAX_LOGO_BYTES) throw refuse(`${file} is ${stat.size} bytes; a logo may have at most ${MAX_LOGO_BYTES}`);
    const content = await handle.readFile();
    if (content.length > MAX_LOGO_BYTES) throw refuse(`${file} grew past ${MAX_LOGO_BYTES} bytes while read`);
    try {
      checkLogo(content);
    } catch (error) {
      throw refuse(`${file}: ${(error as Error).message}`);
    }
    return content;
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw refuse(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    await handle.close();
  }
}

/** The period of a week that has ended; a UserError for a bad week or one not over at `nowMs`. */
export function endedWeekPeriod(week: IsoWeek, timeZone: string, nowMs: number): ReportPeriod {
  const period = weekPeriod(week, timeZone);
  if (Date.parse(period.to) > nowMs) {
    throw new UserError('WATCHPOST_ERR_REPORT_INVALID', `week ${week} has not ended yet (it ends ${period.to}); a report covers a whole week`);
  }
  return period;
}

/** "16–22 Nov 2026", "30 Nov – 6 Dec 2026", "29 Dec 2025 – 4 Jan 2026": the local dates of the week. */
export function weekRange(period: ReportPeriod): string {
  const [fy, fm, fd] = localDate(Date.parse(period.from), period.timeZone).split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = localDate(Date.parse(period.to) - 1, period.timeZone).split('-').map(Number) as [number, number, number];
  const month = (m: number): string => MONTHS[m - 1] as string;
  if (fy !== ty) return `${fd} ${month(fm)} ${fy} – ${td} ${month(tm)} ${ty}`;
  if (fm !== tm) return `${fd} ${month(fm)} – ${td} ${month(tm)} ${ty}`;
  return `${fd}–${td} ${month(tm)} ${ty}`;
}

/** The mail's subject: `[Acme] Weekly threat report 2026-W47 (16–22 Nov 2026)`. */
export function reportSubject(organization: string, period: ReportPeriod): string {
  return `[${organization.replace(/[\r\n]+/g, ' ').trim()}] Weekly threat report ${period.week} (${weekRange(period)})`;
}

/** The mail's text: the week, the first sentences of the executive summary, what is attached. */
export function reportMailText(organization: string, record: ReportRecord, figures: WeeklyFigures): string {
  const summary = executiveSummary(figures).slice(0, MAIL_SENTENCES).join(' ');
  return [
    `${organization}: weekly threat report for ${record.period.week} (${weekRange(record.period)}, ${record.period.timeZone}).`,
    '',
    summary,
    '',
    `The full report is attached as ${reportFileName(record.period.week)}${record.pages !== undefined ? ` (${record.pages} ${record.pages === 1 ? 'page' : 'pages'})` : ''}.`,
    '',
    '-- ',
    'Watchpost',
  ].join('\n');
}

function samePeriod(a: ReportPeriod, b: ReportPeriod): boolean {
  return a.week === b.week && a.from === b.from && a.to === b.to && a.timeZone === b.timeZone;
}

function withoutRev<T extends { readonly id: string }>(stored: Stored<T>): T {
  const { rev: _rev, ...record } = stored;
  return record as unknown as T;
}

/**
 * Writes the record `build` makes whether or not its id exists, retrying when another process
 * wrote it in between (`build` sees what is stored).
 */
async function put<T extends { readonly id: string }>(collection: Collection<T>, id: string, build: (existing: Stored<T> | undefined) => T): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const existing = await collection.get(id);
    const record = build(existing);
    try {
      const stored = existing ? await collection.replace({ ...record, rev: existing.rev }) : await collection.create(record);
      return withoutRev(stored);
    } catch (error) {
      const raced = hasCode(error, 'WATCHPOST_ERR_STORE_CONFLICT') || hasCode(error, 'WATCHPOST_ERR_STORE_NOT_FOUND');
      if (!raced) throw error;
      if (attempt >= WRITE_TRIES) {
        throw new OperationalError('WATCHPOST_ERR_REPORT_RENDER', `the report record ${record.id} kept changing under this write; retrying later`, { cause: error });
      }
    }
  }
}

/** Errors of the figures and the renderer: ours pass through; anything else is retried as a render failure. */
function asReportError(error: unknown, what: string): Error {
  if (error instanceof WatchpostError) return error;
  return new OperationalError('WATCHPOST_ERR_REPORT_RENDER', `${what}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/**
 * Records a failed generation: a `failed` record with the reason (and no file, so a ready record
 * always has its PDF), unless the week has a ready report, which stays.
 */
async function keepFailure(deps: ReportDependencies, base: Omit<ReportRecord, 'status'>, error: string, log: Logger): Promise<void> {
  const existing = await deps.cases.reports.get(base.id);
  if (existing?.status === 'ready' && samePeriod(existing.period, base.period)) {
    log.error({ error }, 'weekly report generation failed; the earlier report of the week is kept');
    return;
  }
  await deps.cases.reportFiles.delete(base.id);
  await put<ReportRecord>(deps.cases.reports, base.id, () => ({ ...base, status: 'failed', error }));
  log.error({ error }, 'weekly report generation failed; recorded as failed');
}

/**
 * Generates the report of a week that has ended: gathers the figures, renders the PDF, keeps the
 * PDF and then its record (replacing an earlier report of the week), and mails it when asked and
 * a mailer is configured. A render that failed (a PDF over {@link MAX_REPORT_BYTES}, a logo the
 * renderer refused) leaves a `failed` record with the reason, unless the week already has a ready
 * report, which is kept rather than lost to a failed retry. Throws a UserError for a bad or unfinished week or a bad logo, an OperationalError
 * (WATCHPOST_ERR_REPORT_RENDER) when the stores or the renderer failed, and an OperationalError
 * (WATCHPOST_ERR_REPORT_MAIL) when the report was kept but not mailed: the record says why.
 */
export async function generateReport(deps: ReportDependencies, request: GenerateRequest): Promise<GeneratedReport> {
  const startedMs = deps.clock.now();
  const period = endedWeekPeriod(request.week, deps.timeZone, startedMs);
  const logo = deps.organization.logo !== undefined ? await readLogo(deps.organization.logo) : undefined;
  let figures: WeeklyFigures;
  let rendered: { readonly pdf: Buffer; readonly pages: number };
  try {
    figures = await deps.gather(period, startedMs);
  } catch (error) {
    throw asReportError(error, `gathering the figures of ${period.week} failed`);
  }
  const id = reportId(period.week);
  const now = new Date(deps.clock.now()).toISOString();
  const base = { id, kind: 'weekly' as const, period, requestedBy: request.requestedBy, createdAt: now, updatedAt: now };
  const log = deps.logger.child({ report: id, requestedBy: request.requestedBy });
  try {
    rendered = await deps.render(figures, { ...(logo ? { logo } : {}), ...(deps.attribution !== undefined ? { attribution: deps.attribution } : {}) });
    if (rendered.pdf.length > MAX_REPORT_BYTES) {
      throw new OperationalError('WATCHPOST_ERR_REPORT_RENDER', `the report of ${period.week} is ${rendered.pdf.length} bytes, over the ${MAX_REPORT_BYTES}-byte limit`);
    }
  } catch (error) {
    const failure = asReportError(error, `rendering the report of ${period.week} failed`);
    await keepFailure(deps, base, failure.message, log).catch((error: unknown) => log.warn({ err: error }, 'recording the failed report failed'));
    throw failure;
  }

  const sha256 = createHash('sha256').update(rendered.pdf).digest('hex');
  const base64 = rendered.pdf.toString('base64');
  await put<ReportFile>(deps.cases.reportFiles, id, (existing) => ({
    id,
    contentType: 'application/pdf',
    base64,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  }));
  const record = await put<ReportRecord>(deps.cases.reports, id, () => ({
    ...base,
    status: 'ready',
    pages: rendered.pages,
    sizeBytes: rendered.pdf.length,
    sha256,
    summary: { alerts: figures.alerts.total, incidentsOpened: figures.incidents.opened, blocked: figures.response.blocked.length },
  }));
  log.info({ week: period.week, pages: rendered.pages, sizeBytes: rendered.pdf.length, ms: deps.clock.now() - startedMs }, 'weekly report generated');
  if (!request.mail) return { record, pdf: rendered.pdf };
  if (!deps.mailer) {
    log.info('weekly report not mailed: reports.mail names no smtp driver or no recipient');
    return { record, pdf: rendered.pdf };
  }
  const mailed = await mailReport(deps, deps.mailer, record, rendered.pdf, figures, request.signal);
  return { record: mailed, pdf: rendered.pdf };
}

/**
 * Mails a kept report and records the outcome on its record: `mail.sentAt/accepted/rejected`, or
 * `mail.error` and an OperationalError (WATCHPOST_ERR_REPORT_MAIL) whose cause is the driver's
 * error, so the job retries the mail.
 */
async function mailReport(deps: ReportDependencies, mailer: ReportMailer, record: ReportRecord, pdf: Buffer, figures: WeeklyFigures, signal?: AbortSignal): Promise<ReportRecord> {
  const log = deps.logger.child({ report: record.id });
  let outcome: NonNullable<ReportRecord['mail']>;
  let failure: unknown;
  try {
    const sent = await mailer.send(
      {
        to: mailer.to,
        subject: reportSubject(deps.organization.name, record.period),
        text: reportMailText(deps.organization.name, record, figures),
        attachments: [{ filename: reportFileName(record.period.week), content: pdf, contentType: 'application/pdf' }],
      },
      { idempotencyKey: `${record.id}.${record.sha256 ?? ''}`, signal: signal ?? new AbortController().signal },
    );
    outcome = { sentAt: new Date(deps.clock.now()).toISOString(), accepted: [...sent.accepted], rejected: [...sent.rejected] };
    log.info({ accepted: sent.accepted.length, rejected: sent.rejected.length }, 'weekly report mailed');
  } catch (error) {
    failure = error;
    outcome = { error: (error as Error)?.message ?? String(error) };
    log.warn({ err: error }, 'weekly report kept but not mailed');
  }
  const updated = await put<ReportRecord>(deps.cases.reports, record.id, (existing) => ({
    ...(existing ? withoutRev(existing) : record),
    mail: outcome,
    updatedAt: new Date(deps.clock.now()).toISOString(),
  }));
  if (failure !== undefined) {
    throw new OperationalError('WATCHPOST_ERR_REPORT_MAIL', `report ${record.id} was kept but not mailed: ${outcome.error ?? 'failed'}`, {
      cause: failure,
      details: { report: record.id },
    });
  }
  return updated;
}

/**
 * Mails a kept report from its stored PDF: the retry of a job whose generation succeeded and
 * whose mail failed (the same PDF, so the same Message-ID), or `watchpost report weekly --mail`
 * after writing the file. Undefined when the PDF is gone or is not the record's.
 */
export async function mailKeptReport(deps: ReportDependencies, record: ReportRecord, signal?: AbortSignal): Promise<ReportRecord | undefined> {
  if (!deps.mailer) return record;
  const file = await deps.cases.reportFiles.get(record.id);
  if (!file) return undefined;
  const pdf = Buffer.from(file.base64, 'base64');
  if (record.sha256 !== undefined && createHash('sha256').update(pdf).digest('hex') !== record.sha256) return undefined;
  let figures: WeeklyFigures;
  try {
    // Read again only for the mail's summary sentences; the attached PDF is the kept one.
    figures = await deps.gather(record.period, deps.clock.now());
  } catch (error) {
    throw asReportError(error, `gathering the figures of ${record.period.week} failed`);
  }
  return mailReport(deps, deps.mailer, record, pdf, figures, signal);
}

/** What a `weekly-report` job resolves with (kept as the job's result). */
export interface ReportJobResult {
  readonly id: string;
  readonly week: IsoWeek;
  /** `generated`, `mailed` (a retry that only sent the mail), or `skipped` (the schedule's report existed). */
  readonly outcome: 'generated' | 'mailed' | 'skipped';
  readonly status?: ReportRecord['status'];
}

function checkJob(data: unknown): ReportJob {
  const job = (data ?? {}) as Partial<ReportJob>;
  if (typeof job.week !== 'string' || typeof job.requestedBy !== 'string' || job.requestedBy.length === 0 || typeof job.mail !== 'boolean') {
    throw new PermanentJobError('a weekly-report job needs { week, mail, requestedBy }');
  }
  try {
    parseWeek(job.week);
  } catch (error) {
    throw new PermanentJobError((error as Error).message, { cause: error });
  }
  return { week: job.week, mail: job.mail, requestedBy: job.requestedBy };
}

/**
 * The handler of `weekly-report` jobs. A retry of a job whose report is ready for the same period
 * with a failed mail only sends the mail again; a scheduled job skips a week the schedule already
 * generated (its job id may have been purged and added again). A mail the server refused for
 * good (a 5xx answer) fails the job without further attempts; the record keeps the reason.
 */
export function reportJobHandler(deps: ReportDependencies): JobHandler<ReportJob> {
  return async (job) => {
    const data = checkJob(job.data);
    const id = reportId(data.week);
    const period = weekPeriod(data.week, deps.timeZone);
    const existing = await deps.cases.reports.get(id);
    if (existing && existing.status === 'ready' && samePeriod(existing.period, period)) {
      const mailFailed = existing.mail !== undefined && existing.mail.sentAt === undefined && existing.mail.error !== undefined;
      const sameJob = existing.requestedBy === data.requestedBy && (job.attempt > 1 || data.requestedBy === SCHEDULE_REQUESTER);
      if (data.mail && deps.mailer && mailFailed && sameJob) {
        const mailed = await withPermanentMail(() => mailKeptReport(deps, withoutRev(existing), job.signal));
        if (mailed) return { id, week: data.week, outcome: 'mailed', status: mailed.status } satisfies ReportJobResult;
      } else if (data.requestedBy === SCHEDULE_REQUESTER && existing.requestedBy === SCHEDULE_REQUESTER) {
        deps.logger.info({ report: id }, 'weekly report already generated by the schedule; skipped');
        return { id, week: data.week, outcome: 'skipped', status: existing.status } satisfies ReportJobResult;
      }
    }
    const generated = await withPermanentMail(() => generateReport(deps, { ...data, signal: job.signal }));
    return { id, week: data.week, outcome: 'generated', status: generated.record.status } satisfies ReportJobResult;
  };
}

/** A mail refused for good (the driver's UserError) fails the job at once instead of retrying. */
async function withPermanentMail<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (hasCode(error, 'WATCHPOST_ERR_REPORT_MAIL') && error.cause instanceof UserError) {
      throw new PermanentJobError(error.message, { cause: error });
    }
    throw error;
  }
}

/** What {@link createReportOperations} needs. */
export interface ReportOperationsDependencies {
  readonly cases: CaseStore;
  readonly queue: JobQueue;
  readonly timeZone: string;
  readonly clock: Clock;
  /** @defaultValue {@link DEFAULT_REPORT_RETRY} */
  readonly retry?: ReportJobRetry;
}

/** The reports as the API offers them: list, read, download, and queue a generation. */
export function createReportOperations(deps: ReportOperationsDependencies): ReportOperations {
  return {
    async list() {
      const records: ReportRecord[] = [];
      await forEachRecord(deps.cases.reports, { sort: 'period.from', order: 'desc' }, (record) => records.push(withoutRev(record)));
      return records;
    },
    async get(id) {
      const stored = await deps.cases.reports.get(id);
      return stored ? withoutRev(stored) : undefined;
    },
    async file(id) {
      const file = await deps.cases.reportFiles.get(id);
      return file ? Buffer.from(file.base64, 'base64') : undefined;
    },
    async request(input) {
      const nowMs = deps.clock.now();
      const week = input.week ?? lastFullWeek(nowMs, deps.timeZone);
      endedWeekPeriod(week, deps.timeZone, nowMs);
      const { jobId } = await addReportJob(deps.queue, { week, mail: input.mail, requestedBy: input.requestedBy }, { manual: true, ...(deps.retry ? { retry: deps.retry } : {}) });
      return { id: reportId(week), jobId, week };
    },
  };
}
