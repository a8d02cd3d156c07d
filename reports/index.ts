/**
 * The weekly threat report room: what cli/ composes. Figures (reports/figures) and the renderer
 * (reports/render) are wired in by the composition root; the service keeps and mails the PDF.
 */
export {
  createReportOperations,
  endedWeekPeriod,
  generateReport,
  readLogo,
  reportFileName,
  reportJobHandler,
  reportMailText,
  reportSubject,
  mailKeptReport,
  weekRange,
  type GatherFigures,
  type GeneratedReport,
  type GenerateRequest,
  type RenderReport,
  type ReportDependencies,
  type ReportJobResult,
  type ReportMailer,
  type ReportMessage,
  type ReportOperationsDependencies,
  type SendReportMail,
} from './service.js';
export {
  addReportJob,
  DEFAULT_REPORT_RETRY,
  deleteExpiredReports,
  SCHEDULE_EVERY_MS,
  SCHEDULE_REQUESTER,
  startReportSchedule,
  type ReportJobRetry,
  type ReportScheduleOptions,
  type RunningReportSchedule,
} from './schedule.js';
export { checkLogo, MAX_LOGO_BYTES } from './render/index.js';
export { checkTimeZone, dueWeek, lastFullWeek, parseWeek, scheduledAt, weekPeriod, type ReportSchedule } from './week.js';
