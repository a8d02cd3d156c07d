/**
 * The report part of `watchpost validate`: the schedule's time zone exists, the mail driver is an
 * enabled smtp driver of `response.drivers`, and the organisation's logo is a readable PNG or
 * JPEG of at most 2 MB — so a bad setting fails at validate (and before a systemd start) instead
 * of on Monday morning when the report is due.
 */
import { readFileSync, statSync } from 'node:fs';
import { UserError, type Problem } from '../core/errors.js';
import type { Config } from '../core/config/schema.js';
import { checkLogo, checkTimeZone, MAX_LOGO_BYTES } from '../reports/index.js';

/** Why a logo file cannot be used, or undefined when it can (the renderer's own check, on the file). */
export function logoProblem(file: string): string | undefined {
  let content: Buffer;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return `${file} is not a file`;
    if (stat.size > MAX_LOGO_BYTES) return `${file} is ${stat.size} bytes; a logo may have at most ${MAX_LOGO_BYTES}`;
    content = readFileSync(file);
  } catch (error) {
    return `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`;
  }
  try {
    checkLogo(content);
    return undefined;
  } catch (error) {
    return `${file}: ${(error as Error).message}`;
  }
}

/** Every problem of the reports settings (and the organisation's logo) at once. */
export function reportProblems(config: Readonly<Config>): Problem[] {
  const problems: Problem[] = [];
  const { reports } = config;
  try {
    checkTimeZone(reports.schedule.timeZone);
  } catch (error) {
    problems.push({ path: 'reports.schedule.timeZone', message: (error as Error).message });
  }
  if (reports.mail.driver !== undefined) {
    const driver = config.response.drivers.find((candidate) => candidate.id === reports.mail.driver);
    if (!driver) problems.push({ path: 'reports.mail.driver', message: `no driver ${reports.mail.driver} in response.drivers: name an smtp driver there` });
    else if (driver.type !== 'smtp') problems.push({ path: 'reports.mail.driver', message: `driver ${driver.id} is of type ${driver.type}; the report is mailed through an smtp driver` });
    else if (!driver.enabled) problems.push({ path: 'reports.mail.driver', message: `driver ${driver.id} is disabled` });
  }
  if (config.organization.logo !== undefined) {
    const problem = logoProblem(config.organization.logo);
    if (problem) problems.push({ path: 'organization.logo', message: problem });
  }
  return problems;
}

/** Throws a UserError listing every problem; returns a one-line summary otherwise. */
export function validateReports(config: Readonly<Config>): string {
  const problems = reportProblems(config);
  if (problems.length > 0) {
    throw new UserError('WATCHPOST_ERR_CONFIG_INVALID', `reports: ${problems.length} problem${problems.length === 1 ? '' : 's'}`, {
      problems: problems.map((problem) => ({ ...problem, message: problem.path ? `${problem.path}: ${problem.message}` : problem.message })),
    });
  }
  const { reports } = config;
  if (!reports.enabled) return 'weekly report: off';
  const mail = reports.mail.driver !== undefined && reports.mail.to.length > 0 ? `mailed to ${reports.mail.to.length} through ${reports.mail.driver}` : 'kept, not mailed (no reports.mail.driver or recipients)';
  return `weekly report: ${reports.schedule.day} ${reports.schedule.time} ${reports.schedule.timeZone}, ${mail}`;
}
