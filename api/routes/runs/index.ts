import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PlaybookRun, Role, RunStatus } from '../../../core/cases/types.js';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import { UserError } from '../../../core/errors.js';
import { and, type FilterNode } from '../../../core/query/filter.js';
import type { CaseStore, Stored } from '../../../core/stores/case-store.js';
import type { JobQueue } from '../../../core/stores/job-queue.js';
import type { Principal } from '../../plugins/auth-guard.js';
import { ErrorBody } from '../../plugins/openapi.js';
import { requireRole } from '../../plugins/require-role.js';
import { recordAudit } from '../audit/record.js';
import { principalUserId } from '../users/principal.js';

/** Options of {@link runsRoutes}. */
export interface RunsRouteOptions {
  /** Absent when this process has no case store: every route then answers 503. */
  readonly cases?: CaseStore | undefined;
  /** Where an approved run is handed to the playbook runner; without it approval answers 503. */
  readonly jobs?: JobQueue | undefined;
  /** @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

export { PLAYBOOK_RUN_JOB, runJobId } from '../../../core/response/jobs.js';
import { PLAYBOOK_RUN_JOB, runJobId } from '../../../core/response/jobs.js';

/** The largest page of runs. */
export const MAX_RUNS_PAGE = 200;

/** The longest rejection reason. */
export const MAX_REJECT_REASON = 2000;

const VIEWERS = ['viewer'] as const satisfies readonly Role[];
const APPROVERS = ['approver'] as const satisfies readonly Role[];
const TAGS = ['runs'];

const RUN_STATUSES = ['pending_approval', 'queued', 'running', 'succeeded', 'failed', 'rejected', 'skipped', 'cancelled'] as const satisfies readonly RunStatus[];
const RunStatusSchema = Type.Union(RUN_STATUSES.map((status) => Type.Literal(status)));

const RunStepView = Type.Object(
  {
    id: Type.String(),
    action: Type.String(),
    status: RunStatusSchema,
    dryRun: Type.Boolean(),
    attempts: Type.Integer(),
    startedAt: Type.Optional(Type.String()),
    finishedAt: Type.Optional(Type.String()),
    result: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    error: Type.Optional(Type.String()),
    approvedBy: Type.Optional(Type.String()),
    rejectedBy: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** A playbook run as the API shows it (the stored record without its revision). */
export const RunView = Type.Object(
  {
    id: Type.String(),
    playbookId: Type.String(),
    trigger: Type.Object({ alertId: Type.Optional(Type.String()), incidentId: Type.Optional(Type.String()) }, { additionalProperties: false }),
    status: RunStatusSchema,
    steps: Type.Array(RunStepView),
    requestedBy: Type.Optional(Type.String()),
    decidedBy: Type.Optional(Type.String()),
    decidedAt: Type.Optional(Type.String()),
    decisionReason: Type.Optional(Type.String()),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);
export type RunView = Static<typeof RunView>;

/** The query of GET /api/v1/runs. */
export const RunsQuery = Type.Object(
  {
    status: Type.Optional(RunStatusSchema),
    playbook: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    alert: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    incident: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    limit: Type.Integer({ minimum: 1, maximum: MAX_RUNS_PAGE, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);

/** The body of POST /api/v1/runs/{id}/reject. */
export const RejectBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: MAX_REJECT_REASON }) }, { additionalProperties: false });

const RunPage = Type.Object({ items: Type.Array(RunView), total: Type.Integer(), nextCursor: Type.Optional(Type.String()) });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

/** The run without its store revision. */
export function toRunView(run: PlaybookRun): RunView {
  const { rev: _rev, ...record } = run as PlaybookRun & { rev?: string };
  return record as RunView;
}

function unavailable(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(503).send({ error: 'unavailable', message: `this process has no ${what}` });
}

function exact(field: string, value: string): FilterNode {
  return { op: 'eq', field, value, caseSensitive: true };
}

/**
 * Playbook runs under /api/v1/runs: viewers list and read them; approvers (and admins) decide a
 * run waiting in `pending_approval`. Approval queues it (status `queued`, approver and time
 * recorded) and adds the job `playbook-run` as `run-<id>`; rejection ends it (`rejected`, with a
 * reason). The user who requested a run may never decide it (403
 * WATCHPOST_ERR_RUN_SELF_APPROVAL), whatever their role; a run in another state answers 409.
 * Approving an approved run again only re-adds its job (harmless by the deterministic id), so a
 * retry after a failure between the write and the enqueue completes the hand-over.
 */
export async function runsRoutes(app: FastifyInstance, options: RunsRouteOptions): Promise<void> {
  const clock = options.clock ?? SYSTEM_CLOCK;

  app.get<{ Querystring: Static<typeof RunsQuery> }>(
    '/api/v1/runs',
    {
      config: { roles: VIEWERS },
      onRequest: requireRole(...VIEWERS),
      schema: { summary: 'List playbook runs', tags: TAGS, querystring: RunsQuery, response: { 200: RunPage } },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const { status, playbook, alert, incident, limit, cursor } = request.query;
      const filters: FilterNode[] = [];
      if (status !== undefined) filters.push(exact('status', status));
      if (playbook !== undefined) filters.push(exact('playbookId', playbook));
      if (alert !== undefined) filters.push(exact('trigger.alertId', alert));
      if (incident !== undefined) filters.push(exact('trigger.incidentId', incident));
      const page = await cases.runs.list({
        ...(filters.length > 0 ? { filter: and(...filters) } : {}),
        sort: 'createdAt',
        order: 'desc',
        limit,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      return { items: page.items.map(toRunView), total: page.total, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/runs/:id',
    {
      config: { roles: VIEWERS },
      onRequest: requireRole(...VIEWERS),
      schema: { summary: 'Get a playbook run', tags: TAGS, params: IdParams, response: { 200: RunView, 404: ErrorBody } },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const run = await cases.runs.get(request.params.id);
      if (!run) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no run ${request.params.id}`);
      return toRunView(run);
    },
  );

  /**
   * The run to decide, or a reply already sent: 404 unknown, 403 when the deciding user requested
   * it. The state is the caller's to check (approval tolerates an approved run).
   */
  async function loadForDecision(cases: CaseStore, id: string, principal: Principal, reply: FastifyReply): Promise<{ run: Stored<PlaybookRun>; user: string } | FastifyReply> {
    const run = await cases.runs.get(id);
    if (!run) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no run ${id}`);
    const user = (await principalUserId(principal, cases)) ?? principal.id;
    if (run.requestedBy !== undefined && run.requestedBy === user) {
      return reply.code(403).send({
        error: 'forbidden',
        code: 'WATCHPOST_ERR_RUN_SELF_APPROVAL',
        message: `run ${id} was requested by ${user}: another approver must decide it`,
      });
    }
    return { run, user };
  }

  function wrongState(run: PlaybookRun, verb: string): UserError {
    return new UserError('WATCHPOST_ERR_STORE_CONFLICT', `run ${run.id} is ${run.status}: only a run in pending_approval can be ${verb}`);
  }

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/v1/runs/:id/approve',
    {
      config: { roles: APPROVERS },
      onRequest: requireRole(...APPROVERS),
      schema: {
        summary: 'Approve a run waiting for approval (queues it for the playbook runner)',
        tags: TAGS,
        params: IdParams,
        response: { 200: RunView, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const cases = options.cases;
      const jobs = options.jobs;
      if (!cases) return unavailable(reply, 'case store');
      const principal = request.principal as Principal;
      const loaded = await loadForDecision(cases, request.params.id, principal, reply);
      if (!('run' in loaded)) return loaded;
      const { run: before, user } = loaded;
      // Already approved: only make sure the job exists (a previous try may have stopped before it).
      const approved = before.decidedAt !== undefined && before.status !== 'rejected' && before.status !== 'pending_approval';
      if (!approved && before.status !== 'pending_approval') throw wrongState(before, 'approved');
      // The queue is checked only once the run is known to be decidable, so 404/403/409 stay truthful.
      if (!jobs) return unavailable(reply, 'job queue');
      const enqueue = () => jobs.add({ name: PLAYBOOK_RUN_JOB, id: runJobId(before.id), data: { runId: before.id } });
      if (approved) {
        if (before.status === 'queued') await enqueue();
        return toRunView(before);
      }
      const now = clock.now();
      const at = new Date(now).toISOString();
      const { decisionReason: _reason, ...rest } = before;
      // A stale revision (another approver was first) is refused with 409, never decided twice.
      const after = await cases.runs.replace({ ...rest, status: 'queued', decidedBy: user, decidedAt: at, updatedAt: at });
      await enqueue();
      await recordAudit(cases, { actor: principal.id, action: 'run.approve', target: { type: 'run', id: before.id }, before: toRunView(before), after: toRunView(after), at: now });
      return toRunView(after);
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof RejectBody> }>(
    '/api/v1/runs/:id/reject',
    {
      config: { roles: APPROVERS },
      onRequest: requireRole(...APPROVERS),
      schema: {
        summary: 'Reject a run waiting for approval',
        tags: TAGS,
        params: IdParams,
        body: RejectBody,
        response: { 200: RunView, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const principal = request.principal as Principal;
      const loaded = await loadForDecision(cases, request.params.id, principal, reply);
      if (!('run' in loaded)) return loaded;
      const { run: before, user } = loaded;
      if (before.status !== 'pending_approval') throw wrongState(before, 'rejected');
      const now = clock.now();
      const at = new Date(now).toISOString();
      const after = await cases.runs.replace({ ...before, status: 'rejected', decidedBy: user, decidedAt: at, decisionReason: request.body.reason, updatedAt: at });
      await recordAudit(cases, { actor: principal.id, action: 'run.reject', target: { type: 'run', id: before.id }, before: toRunView(before), after: toRunView(after), at: now });
      return toRunView(after);
    },
  );
}
