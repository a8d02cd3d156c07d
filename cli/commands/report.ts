import { randomBytes } from 'node:crypto';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SYSTEM_CLOCK, type Clock } from '../../core/clock.js';
import type { Config } from '../../core/config/schema.js';
import { OperationalError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { IsoWeek, ReportRecord } from '../../core/reports/types.js';
import { endedWeekPeriod, generateReport, lastFullWeek, mailKeptReport, type RenderReport } from '../../reports/index.js';
import { openCaseStore, openEventStore } from '../backends.js';
import { composeReport } from '../reports.js';
import { commandLogger, configOf, refuse, withStoreOptions, type StoreOptions } from './options.js';

/** `requestedBy` of a report made from the command line. */
export const CLI_REQUESTER = 'cli';

/** The mode of a written PDF: the owner writes, the group (operators) reads, nobody else. */
export const REPORT_FILE_MODE = 0o640;

interface ReportWeeklyOptions extends StoreOptions {
  readonly week?: string;
  readonly out: string;
  readonly mail?: boolean;
}

/** What one `watchpost report weekly` made. */
export interface WeeklyReportOutcome {
  readonly record: ReportRecord;
  readonly path: string;
  readonly bytes: number;
}

/** Why `--out` cannot be written, or undefined when it can: a directory is never replaced. */
export async function outProblem(out: string): Promise<string | undefined> {
  const found = await stat(out).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : error));
  if (found instanceof Error) return `cannot use --out ${out}: ${found.code ?? found.message}`;
  if (found?.isDirectory()) return `--out ${out} is a directory: name the PDF file to write`;
  if (found && !found.isFile()) return `--out ${out} exists and is not a regular file`;
  const parent = await stat(dirname(resolve(out))).catch(() => undefined);
  if (!parent?.isDirectory()) return `cannot write --out ${out}: the directory ${dirname(resolve(out))} does not exist`;
  return undefined;
}

/**
 * Writes the PDF beside its destination and renames it into place, so a reader never sees half a
 * report and an existing file is replaced whole. New files get {@link REPORT_FILE_MODE}.
 */
async function writePdf(out: string, pdf: Buffer): Promise<void> {
  const temporary = join(dirname(resolve(out)), `.${basename(out)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, pdf, { mode: REPORT_FILE_MODE, flag: 'wx' });
    await rename(temporary, out);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new OperationalError('WATCHPOST_ERR_REPORT_RENDER', `cannot write ${out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}

/**
 * Generates a week's report in this process, without the queue: the same generation the worker
 * runs, kept in the store as `requestedBy: cli`; writes the PDF to `out`, then mails the kept
 * report when asked. Throws the generation's errors (a UserError for a bad week or logo).
 */
export async function runWeeklyReport(
  config: Readonly<Config>,
  request: { readonly week?: IsoWeek; readonly out: string; readonly mail: boolean },
  logger: Logger,
  seams: { readonly clock?: Clock; readonly render?: RenderReport; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<WeeklyReportOutcome | string> {
  const clock = seams.clock ?? SYSTEM_CLOCK;
  const timeZone = config.reports.schedule.timeZone;
  const week = request.week ?? lastFullWeek(clock.now(), timeZone);
  // Refused before a store is opened: a bad week, a week not over, an --out that is a directory.
  endedWeekPeriod(week, timeZone, clock.now());
  const problem = await outProblem(request.out);
  if (problem) return problem;
  if (request.mail && (config.reports.mail.driver === undefined || config.reports.mail.to.length === 0)) {
    return '--mail: the configuration names no report recipients (reports.mail.driver and reports.mail.to)';
  }
  const events = await openEventStore(config, logger);
  try {
    const cases = await openCaseStore(config, logger);
    try {
      const composed = composeReport({
        config,
        events: events.store,
        cases: cases.store,
        logger,
        clock,
        ...(seams.render ? { render: seams.render } : {}),
        ...(seams.env ? { env: seams.env } : {}),
      });
      try {
        const generated = await generateReport(composed.deps, { week, requestedBy: CLI_REQUESTER, mail: false });
        const pdf = generated.pdf as Buffer;
        await writePdf(request.out, pdf);
        let record = generated.record;
        if (request.mail) {
          const mailed = await mailKeptReport(composed.deps, record);
          if (!mailed) throw new OperationalError('WATCHPOST_ERR_REPORT_MAIL', `report ${record.id} was written to ${request.out} but its stored PDF changed before it was mailed; run the command again`);
          record = mailed;
        }
        return { record, path: request.out, bytes: pdf.length };
      } finally {
        await composed.close();
      }
    } finally {
      await cases.close();
    }
  } finally {
    await events.close();
  }
}

/** The line printed for a made report: week, pages, bytes, path, and who it was mailed to. */
export function outcomeLine(outcome: WeeklyReportOutcome): string {
  const { record } = outcome;
  const pages = record.pages ?? 0;
  const mailed = record.mail?.sentAt !== undefined ? `; mailed to ${record.mail.accepted?.length ?? 0} recipient${record.mail.accepted?.length === 1 ? '' : 's'}` : '';
  return `${record.period.week}: ${pages} page${pages === 1 ? '' : 's'}, ${outcome.bytes} bytes, written to ${outcome.path}${mailed}\n`;
}

/** Adds `watchpost report weekly`. */
export function registerReportCommand(program: Command): void {
  const report = program.command('report').description('make reports from the stores');
  withStoreOptions(
    report
      .command('weekly')
      .description('generate the weekly threat report PDF now (without the job queue), keep it in the store and write it to a file')
      // Checked by the generation, so a bad week is reported as every other error is.
      .option('--week <YYYY-Www>', 'the ISO week (default: the last full week in reports.schedule.timeZone)')
      .requiredOption('--out <file.pdf>', 'where to write the PDF (replaced when it exists; never a directory)')
      .option('--mail', 'also mail it to reports.mail.to through the smtp driver reports.mail.driver'),
  ).action(async (options: ReportWeeklyOptions) => {
    const config = configOf(options);
    const outcome = await runWeeklyReport(config, { ...(options.week !== undefined ? { week: options.week } : {}), out: options.out, mail: options.mail === true }, commandLogger(options));
    if (typeof outcome === 'string') {
      refuse(outcome);
      return;
    }
    process.stdout.write(outcomeLine(outcome));
  });
}
