import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PlaybookRun, Role, RunStatus, RunStep } from '../../../core/cases/types.js';
import { UserError } from '../../../core/errors.js';
import { and, type FilterNode } from '../../../core/query/filter.js';
import type { CaseStore, Stored } from '../../../core/stores/case-store.js';
import type { Principal } from '../../plugins/auth-guard.js';
import { ErrorBody } from '../../plugins/openapi.js';
import { requireRole } from '../../plugins/require-role.js';
import type { ResponseOperations } from '../response/operations.js';
import { principalUserId } from '../users/principal.js';

/** Options of {@link runsRoutes}. */
export interface RunsRouteOptions {
  /** Absent when this process has no case store: every route then answers 503. */
  readonly cases?: CaseStore | undefined;
  /** Decides runs (the playbook runner's service); without it approve and reject answer 503. */
  readonly response?: ResponseOperations | undefined;
}

export { PLAYBOOK_RUN_JOB, runJobId } from '../../../core/response/jobs.js';

/** The largest page of runs. */
export const MAX_RUNS_PAGE = 200;

/** The longest rejection reason. */
export const MAX_REJECT_REASON = 2000;

const VIEWERS = ['viewer'] as const satisfies readonly Role[];
const APPROVERS = ['approver'] as const satisfies readonly Role[];
const TAGS = ['runs'];

const RUN_STATUSES = ['pending_approval', 'queued', 'running', 'succeeded', 'failed', 'rejected', 'skipped', 'cancelled'] as const satisfies readonly RunStatus[];
const RunStatusSchema = Type.Union(RUN_STATUSES.map((status) => Type.Literal(status)));

const StepOutcomeView = Type.Object(
  {
    driver: Type.String(),
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('skipped')]),
    verified: Type.Optional(Type.Boolean()),
    detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    error: Type.Optional(Type.String()),
    at: Type.String(),
  },
  { additionalProperties: false },
);

const RunStepView = Type.Object(
  {
    id: Type.String(),
    action: Type.String(),
    status: RunStatusSchema,
    dryRun: Type.Boolean(),
    attempts: Type.Integer(),
    input: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'The input after templating, as the drivers receive it.' })),
    drivers: Type.Optional(Type.Array(Type.String())),
    approval: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('required')])),
    approvalReasons: Type.Optional(Type.Array(Type.String(), { description: 'Why a person must approve: internal-address, wide-prefix, udp-evidence, breaker-open, ...' })),
    outcomes: Type.Optional(Type.Array(StepOutcomeView, { description: 'What each driver really did (verified or not), not what was intended.' })),
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
    currentStep: Type.Optional(Type.Integer({ description: 'The step the run executes next, or waits at for approval.' })),
    dryRun: Type.Optional(Type.Boolean()),
    approvalExpiresAt: Type.Optional(Type.String({ description: 'A run still waiting for approval then is cancelled.' })),
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

/** The query of approve and reject: the step the decider saw waiting, so a decision never lands on another. */
export const DecisionQuery = Type.Object(
  {
    step: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'The id of the step being decided; when the run waits at another step (it moved on), 409.' }),
    ),
  },
  { additionalProperties: false },
);

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

/** The step a run executes next or waits at. */
function currentStepOf(run: PlaybookRun): RunStep | undefined {
  return run.steps[run.currentStep ?? 0];
}

/**
 * Playbook runs under /api/v1/runs: viewers list and read them; approvers (and admins) decide the
 * step a run waits at in `pending_approval`, through the response service (`response`): approval
 * queues the rest of the run for the runner (until the next step that needs a person), rejection
 * ends it (`rejected`, with a reason). The user who requested a run may never decide it (403
 * WATCHPOST_ERR_RUN_SELF_APPROVAL), whatever their role; a run in another state answers 409, and
 * so does a decision naming (`?step=`) a step the run no longer waits at (two approvers on one
 * run: the second gets 409, never a second decision). Approving an approved step again only
 * re-adds its job. The service audits each decision (`run.approve`, `run.reject`, actor the user)
 * and puts it on the incident timeline.
 */
export async function runsRoutes(app: FastifyInstance, options: RunsRouteOptions): Promise<void> {
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
   * it, 409 when `step` names a step the run does not wait at. The run's state is the service's
   * to check (approval tolerates an approved step).
   */
  async function loadForDecision(cases: CaseStore, id: string, step: string | undefined, principal: Principal, reply: FastifyReply): Promise<{ run: Stored<PlaybookRun>; user: string } | FastifyReply> {
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
    const current = currentStepOf(run);
    if (step !== undefined && current?.id !== step) {
      throw new UserError('WATCHPOST_ERR_STORE_CONFLICT', `run ${id} is at step ${current?.id ?? '(none)'} (${run.status}), not at step ${step}`);
    }
    return { run, user };
  }

  /**
   * Only a run waiting for a person can be decided (the service checks again, race-free), except
   * that approving a step already approved, whose run is queued or running, is passed on: the
   * service then only adds its job again, which completes a hand-over cut short between the write
   * and the enqueue.
   */
  function checkState(run: PlaybookRun, verb: 'approved' | 'rejected'): void {
    if (run.status === 'pending_approval') return;
    const retry = verb === 'approved' && (run.status === 'queued' || run.status === 'running') && currentStepOf(run)?.approvedBy !== undefined;
    if (!retry) throw new UserError('WATCHPOST_ERR_STORE_CONFLICT', `run ${run.id} is ${run.status}: only a run in pending_approval can be ${verb}`);
  }

  /** Approve and reject alike: load and check the run, then hand the decision to the response service. */
  async function decide(
    runId: string,
    step: string | undefined,
    principal: Principal,
    reply: FastifyReply,
    verb: 'approved' | 'rejected',
    act: (response: ResponseOperations, runId: string, user: string) => Promise<PlaybookRun>,
  ): Promise<unknown> {
    const cases = options.cases;
    if (!cases) return unavailable(reply, 'case store');
    const loaded = await loadForDecision(cases, runId, step, principal, reply);
    if (!('run' in loaded)) return loaded;
    const { run: before, user } = loaded;
    checkState(before, verb);
    // The service is needed only once the run is known to be decidable, so 404/403/409 stay truthful.
    const response = options.response;
    if (!response) return unavailable(reply, 'response service');
    return toRunView(await act(response, before.id, user));
  }

  app.post<{ Params: Static<typeof IdParams>; Querystring: Static<typeof DecisionQuery> }>(
    '/api/v1/runs/:id/approve',
    {
      config: { roles: APPROVERS },
      onRequest: requireRole(...APPROVERS),
      schema: {
        summary: 'Approve the step a run waits at (the run is queued for the playbook runner)',
        tags: TAGS,
        params: IdParams,
        querystring: DecisionQuery,
        response: { 200: RunView, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
      },
    },
    // The service audits the decision (`run.approve`, actor the user) and writes the timeline.
    (request, reply) => decide(request.params.id, request.query.step, request.principal as Principal, reply, 'approved', (response, runId, user) => response.approveStep(runId, user)),
  );

  app.post<{ Params: Static<typeof IdParams>; Querystring: Static<typeof DecisionQuery>; Body: Static<typeof RejectBody> }>(
    '/api/v1/runs/:id/reject',
    {
      config: { roles: APPROVERS },
      onRequest: requireRole(...APPROVERS),
      schema: {
        summary: 'Reject the step a run waits at (the run ends rejected)',
        tags: TAGS,
        params: IdParams,
        querystring: DecisionQuery,
        body: RejectBody,
        response: { 200: RunView, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
      },
    },
    (request, reply) =>
      decide(request.params.id, request.query.step, request.principal as Principal, reply, 'rejected', (response, runId, user) => response.rejectStep(runId, user, request.body.reason)),
  );
}
