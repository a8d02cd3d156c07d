import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import type { Role } from '../../../core/cases/types.js';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import { UserError } from '../../../core/errors.js';
import { ISO_WEEK_PATTERN, type ReportOperations, type ReportRecord } from '../../../core/reports/types.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import type { Principal } from '../../plugins/auth-guard.js';
import { ErrorBody } from '../../plugins/openapi.js';
import { hasRole, requireRole } from '../../plugins/require-role.js';
import { recordAudit } from '../audit/record.js';
import { actingUser, unavailable } from '../response/common.js';
import { weekNotEndedAnywhere, weekStartUtc } from './week.js';

/** Options of {@link reportsRoutes}. */
export interface ReportsRouteOptions {
  /** The reports service (cli/ composes it); without it every route answers 503. */
  readonly reports?: ReportOperations | undefined;
  /** Where a request for a report is audited; without it POST answers 503. */
  readonly cases?: CaseStore | undefined;
  /** Decides which weeks have ended. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

/**
 * Who may do what with reports: everyone reads and downloads them; generating one is an
 * analyst's decision (it costs a worker a few seconds and replaces that week's PDF); mailing it to
 * the configured recipients, people outside the console, is an admin's.
 */
export const REPORT_ROLES = {
  read: ['viewer'],
  generate: ['analyst'],
  mail: ['admin'],
} as const satisfies Record<string, readonly Role[]>;

/** `weekly.YYYY-Www`: the only report ids there are (core/reports/types.ts's `reportId`). */
export const REPORT_ID_PATTERN = `^weekly\\.${ISO_WEEK_PATTERN.slice(1)}`;

/** The name a downloaded PDF is saved under. */
export function reportFileName(week: string): string {
  return `watchpost-weekly-${week}.pdf`;
}

const TAGS = ['reports'];

const PeriodView = Type.Object(
  {
    week: Type.String({ description: 'ISO 8601 week, `2026-W47`.' }),
    timeZone: Type.String({ description: 'The IANA time zone the week runs in.' }),
    from: Type.String({ description: 'Monday 00:00 in the time zone, as an ISO instant.' }),
    to: Type.String({ description: 'The next Monday 00:00 (exclusive).' }),
  },
  { additionalProperties: false },
);

/** A generated report as the API shows it: its record, never its PDF bytes. */
export const ReportView = Type.Object(
  {
    id: Type.String({ description: '`weekly.<week>`: one per week, generating a week again replaces it.' }),
    kind: Type.Literal('weekly'),
    period: PeriodView,
    requestedBy: Type.String({ description: '`schedule`, `cli`, or the user who asked for it.' }),
    status: Type.Union([Type.Literal('ready'), Type.Literal('failed')]),
    error: Type.Optional(Type.String({ description: 'Why generation failed.' })),
    pages: Type.Optional(Type.Integer()),
    sizeBytes: Type.Optional(Type.Integer()),
    sha256: Type.Optional(Type.String({ description: 'Of the PDF, hex.' })),
    summary: Type.Optional(
      Type.Object({ alerts: Type.Integer(), incidentsOpened: Type.Integer(), blocked: Type.Integer() }, { additionalProperties: false, description: 'Headline figures.' }),
    ),
    mail: Type.Optional(
      Type.Object(
        {
          sentAt: Type.Optional(Type.String()),
          accepted: Type.Optional(Type.Array(Type.String())),
          rejected: Type.Optional(Type.Array(Type.String())),
          error: Type.Optional(Type.String()),
        },
        { additionalProperties: false, description: 'Recipients the mail was accepted for, and when; or why it was not sent. Absent when no mail was asked for.' },
      ),
    ),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);
export type ReportView = Static<typeof ReportView>;

const ReportList = Type.Object({ items: Type.Array(ReportView, { description: 'Newest week first.' }) }, { additionalProperties: false });

const IdParams = Type.Object({ id: Type.String({ pattern: REPORT_ID_PATTERN, maxLength: 15, description: '`weekly.YYYY-Www`' }) }, { additionalProperties: false });

/** The body of POST /api/v1/reports. */
export const ReportRequestBody = Type.Object(
  {
    week: Type.Optional(Type.String({ pattern: ISO_WEEK_PATTERN, maxLength: 8, description: 'An ended ISO week, `2026-W47`; the last full week when absent.' })),
    mail: Type.Boolean({ default: false, description: 'Mail the PDF to the configured recipients once generated (admins only).' }),
  },
  { additionalProperties: false },
);

const ReportRequested = Type.Object(
  {
    id: Type.String({ description: 'The report id the record will have.' }),
    jobId: Type.String({ description: 'The queued generation job.' }),
    week: Type.String(),
  },
  { additionalProperties: false },
);

/**
 * The record's listed fields only: whatever else an implementation keeps on it (a store
 * revision, the PDF itself) stays out of the answer.
 */
export function toReportView(record: ReportRecord): ReportView {
  const { period, summary, mail } = record;
  return {
    id: record.id,
    kind: record.kind,
    period: { week: period.week, timeZone: period.timeZone, from: period.from, to: period.to },
    requestedBy: record.requestedBy,
    status: record.status,
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.pages !== undefined ? { pages: record.pages } : {}),
    ...(record.sizeBytes !== undefined ? { sizeBytes: record.sizeBytes } : {}),
    ...(record.sha256 !== undefined ? { sha256: record.sha256 } : {}),
    ...(summary !== undefined ? { summary: { alerts: summary.alerts, incidentsOpened: summary.incidentsOpened, blocked: summary.blocked } } : {}),
    ...(mail !== undefined
      ? {
          mail: {
            ...(mail.sentAt !== undefined ? { sentAt: mail.sentAt } : {}),
            ...(mail.accepted !== undefined ? { accepted: [...mail.accepted] } : {}),
            ...(mail.rejected !== undefined ? { rejected: [...mail.rejected] } : {}),
            ...(mail.error !== undefined ? { error: mail.error } : {}),
          },
        }
      : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/**
 * Refuses a request whose params or body failed the route's schema with WATCHPOST_ERR_REPORT_INVALID
 * (the routes attach validation errors instead of answering them, so the code is the catalogue's).
 */
function refuseInvalid(request: FastifyRequest, what: string): void {
  const error = request.validationError;
  if (!error) return;
  const validation = (Array.isArray(error.validation) ? error.validation : []) as readonly FastifySchemaValidationError[];
  const problems = validation.map((problem) => {
    const path = problem.instancePath.replace(/^\//, '').replaceAll('/', '.');
    return { message: problem.message ?? 'is not valid', ...(path ? { path } : {}) };
  });
  throw new UserError('WATCHPOST_ERR_REPORT_INVALID', `invalid ${what}: ${error.message}`, { problems });
}

/** The week of a report id that passed {@link REPORT_ID_PATTERN}, refusing weeks the year lacks. */
function weekOfId(id: string): string {
  const week = id.slice('weekly.'.length);
  if (weekStartUtc(week) === undefined) throw new UserError('WATCHPOST_ERR_REPORT_INVALID', `invalid report id ${id}: ${week.slice(0, 4)} has no week ${week.slice(6)}`);
  return week;
}

/**
 * Weekly threat reports under /api/v1/reports, kept so past reports can be downloaded. Viewers
 * list them (newest week first, records only), read one, and download its PDF as an attachment;
 * analysts ask for a week to be generated (the last full week by default), which queues a job for
 * the worker and answers 202 with the report and job ids; asking for it to be mailed to the
 * configured recipients takes an admin. A request is audited (`report.request`: who, week, mail).
 * Every id and week is checked against its pattern before the service is asked, and refused with
 * WATCHPOST_ERR_REPORT_INVALID, as is a week that has not ended yet.
 */
export async function reportsRoutes(app: FastifyInstance, options: ReportsRouteOptions): Promise<void> {
  const clock = options.clock ?? SYSTEM_CLOCK;

  app.get(
    '/api/v1/reports',
    {
      config: { roles: REPORT_ROLES.read },
      onRequest: requireRole(...REPORT_ROLES.read),
      schema: { summary: 'List generated reports (records, without the PDFs)', tags: TAGS, response: { 200: ReportList, 503: ErrorBody } },
    },
    async (_request, reply) => {
      const reports = options.reports;
      if (!reports) return unavailable(reply, 'reports service');
      const records = await reports.list();
      return { items: records.map(toReportView) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/reports/:id',
    {
      config: { roles: REPORT_ROLES.read },
      onRequest: requireRole(...REPORT_ROLES.read),
      attachValidation: true,
      schema: { summary: 'Get a report record', tags: TAGS, params: IdParams, response: { 200: ReportView, 400: ErrorBody, 404: ErrorBody, 503: ErrorBody } },
    },
    async (request, reply) => {
      refuseInvalid(request, 'report id');
      weekOfId(request.params.id);
      const reports = options.reports;
      if (!reports) return unavailable(reply, 'reports service');
      const record = await reports.get(request.params.id);
      if (!record) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no report ${request.params.id}`);
      return toReportView(record);
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/reports/:id/pdf',
    {
      config: { roles: REPORT_ROLES.read },
      onRequest: requireRole(...REPORT_ROLES.read),
      attachValidation: true,
      schema: {
        summary: 'Download the PDF of a report',
        description: 'Sent as an attachment (`Content-Disposition: attachment; filename="watchpost-weekly-<week>.pdf"`), never cached.',
        tags: TAGS,
        params: IdParams,
        response: {
          200: { description: 'The PDF.', content: { 'application/pdf': { schema: Type.String({ format: 'binary' }) } } },
          400: ErrorBody,
          404: { ...ErrorBody, description: 'No such report, or a failed one (no PDF).' },
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      refuseInvalid(request, 'report id');
      const week = weekOfId(request.params.id);
      const reports = options.reports;
      if (!reports) return unavailable(reply, 'reports service');
      const pdf = await reports.file(request.params.id);
      if (!pdf) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `report ${request.params.id} has no PDF`);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${reportFileName(week)}"`)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .send(pdf);
    },
  );

  app.post<{ Body: Static<typeof ReportRequestBody> }>(
    '/api/v1/reports',
    {
      config: { roles: REPORT_ROLES.generate },
      onRequest: requireRole(...REPORT_ROLES.generate),
      attachValidation: true,
      bodyLimit: 1024,
      schema: {
        summary: 'Generate a weekly report (queued; mailing it takes an admin)',
        tags: TAGS,
        body: ReportRequestBody,
        response: {
          202: ReportRequested,
          400: { ...ErrorBody, description: 'WATCHPOST_ERR_REPORT_INVALID: a malformed week, or one that has not ended.' },
          403: { ...ErrorBody, description: 'Not an analyst (or higher), or `mail: true` from someone who is not an admin.' },
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      refuseInvalid(request, 'report request');
      const { week, mail } = request.body;
      const principal = request.principal as Principal;
      if (mail && !hasRole(principal, REPORT_ROLES.mail)) {
        return reply.code(403).send({ error: 'forbidden', message: `mailing a report to its recipients requires the role ${REPORT_ROLES.mail.join(', ')}` });
      }
      if (week !== undefined) {
        if (weekStartUtc(week) === undefined) throw new UserError('WATCHPOST_ERR_REPORT_INVALID', `invalid week ${week}: ${week.slice(0, 4)} has no week ${week.slice(6)}`);
        if (weekNotEndedAnywhere(week, clock.now())) throw new UserError('WATCHPOST_ERR_REPORT_INVALID', `week ${week} has not ended yet: a report covers a whole week`);
      }
      const reports = options.reports;
      if (!reports) return unavailable(reply, 'reports service');
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const requestedBy = await actingUser(principal, cases);
      // The service refuses, with the same code, a week not yet ended in the report's time zone.
      const requested = await reports.request({ ...(week !== undefined ? { week } : {}), mail, requestedBy });
      await recordAudit(cases, {
        actor: principal.id,
        action: 'report.request',
        target: { type: 'report', id: requested.id },
        after: { week: requested.week, mail, jobId: requested.jobId, requestedBy },
        at: clock.now(),
      });
      return reply.code(202).send({ id: requested.id, jobId: requested.jobId, week: requested.week });
    },
  );
}
