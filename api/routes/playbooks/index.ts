import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { WatchpostError } from '../../../core/errors.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import type { Principal } from '../../plugins/auth-guard.js';
import { ErrorBody } from '../../plugins/openapi.js';
import { requireRole } from '../../plugins/require-role.js';
import { actingUser, RESPONSE_ROLES, unavailable } from '../response/common.js';
import type { PlaybookSummary, ResponseOperations } from '../response/operations.js';
import { RunView, toRunView } from '../runs/index.js';

/** Options of {@link playbooksRoutes}. */
export interface PlaybooksRouteOptions {
  /** Absent when this process has no case store: requesting a run then answers 503. */
  readonly cases?: CaseStore | undefined;
  /** The loaded playbooks and the runner; without it every route answers 503. */
  readonly response?: ResponseOperations | undefined;
}

const TAGS = ['playbooks'];

const PlaybookStepView = Type.Object(
  {
    id: Type.String(),
    action: Type.String(),
    with: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'The input, as templates over the alert or incident.' })),
    approval: Type.Unknown({ description: '`auto`, `required`, or `{ requiredIf: <condition> }`; the safety policy may require approval besides.' }),
    drivers: Type.Optional(Type.Array(Type.String(), { description: 'Driver instance ids; absent: every enabled instance serving the action.' })),
    when: Type.Optional(Type.Unknown({ description: 'The condition under which the step runs.' })),
    timeoutMs: Type.Optional(Type.Integer()),
    dryRun: Type.Boolean(),
    continueOnError: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** A loaded playbook as the API shows it. */
export const PlaybookView = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    description: Type.Optional(Type.String()),
    author: Type.Optional(Type.String()),
    enabled: Type.Boolean(),
    dryRun: Type.Boolean(),
    trigger: Type.Unknown({ description: '`{ on: alert|incident, rules?, tags?, minSeverity?, when? }`' }),
    steps: Type.Array(PlaybookStepView),
    source: Type.Object({ file: Type.String(), line: Type.Integer() }, { additionalProperties: false }),
    problems: Type.Optional(Type.Array(Type.Object({ message: Type.String(), path: Type.Optional(Type.String()) }, { additionalProperties: false }))),
  },
  { additionalProperties: false },
);
export type PlaybookView = Static<typeof PlaybookView>;

/** The body of POST /api/v1/playbooks/{id}/run: the alert or the incident, exactly one. */
export const RunPlaybookBody = Type.Object(
  {
    alertId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    incidentId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  // Not a union of two objects: Fastify's validator strips properties a branch does not allow,
  // so `{ alertId, incidentId }` would pass as the first branch. `oneOf` over `required` refuses it.
  { additionalProperties: false, oneOf: [{ required: ['alertId'] }, { required: ['incidentId'] }] },
);

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

/** What the API shows of a loaded playbook: a copy of the listed fields only. */
export function toPlaybookView(playbook: PlaybookSummary): PlaybookView {
  return {
    id: playbook.id,
    title: playbook.title,
    ...(playbook.description !== undefined ? { description: playbook.description } : {}),
    ...(playbook.author !== undefined ? { author: playbook.author } : {}),
    enabled: playbook.enabled,
    dryRun: playbook.dryRun,
    trigger: playbook.trigger,
    steps: playbook.steps.map((step) => ({
      id: step.id,
      action: step.action,
      ...(step.with !== undefined ? { with: { ...step.with } } : {}),
      approval: step.approval,
      ...(step.drivers !== undefined ? { drivers: [...step.drivers] } : {}),
      ...(step.when !== undefined ? { when: step.when } : {}),
      ...(step.timeoutMs !== undefined ? { timeoutMs: step.timeoutMs } : {}),
      dryRun: step.dryRun,
      ...(step.continueOnError !== undefined ? { continueOnError: step.continueOnError } : {}),
    })),
    source: { file: playbook.source.file, line: playbook.source.line },
    ...(playbook.problems !== undefined ? { problems: playbook.problems.map((p) => ({ message: p.message, ...(p.path !== undefined ? { path: p.path } : {}) })) } : {}),
  };
}

function playbookNotFound(reply: FastifyReply, id: string, why = 'no loaded playbook has this id'): FastifyReply {
  return reply.code(404).send({ error: 'not_found', code: 'WATCHPOST_ERR_PLAYBOOK_NOT_FOUND', message: `playbook ${id}: ${why}` });
}

/**
 * Playbooks under /api/v1/playbooks: viewers list and read the loaded playbooks (the YAML on
 * disk, as the runner sees it); responders start one by hand for an alert or an incident (202
 * with the run: it runs on a worker). A run requested by hand waits for approval wherever the
 * playbook or the safety policy asks for it, and its requester can never approve it. The service
 * audits the request (`run.request`, actor the user) and what the run then does.
 */
export async function playbooksRoutes(app: FastifyInstance, options: PlaybooksRouteOptions): Promise<void> {
  app.get(
    '/api/v1/playbooks',
    {
      config: { roles: RESPONSE_ROLES.read },
      onRequest: requireRole(...RESPONSE_ROLES.read),
      schema: { summary: 'List the loaded playbooks', tags: TAGS, response: { 200: Type.Object({ items: Type.Array(PlaybookView) }), 503: ErrorBody } },
    },
    async (_request, reply) => {
      if (!options.response) return unavailable(reply, 'response service');
      return { items: options.response.playbooks().map(toPlaybookView) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/playbooks/:id',
    {
      config: { roles: RESPONSE_ROLES.read },
      onRequest: requireRole(...RESPONSE_ROLES.read),
      schema: { summary: 'Get a loaded playbook', tags: TAGS, params: IdParams, response: { 200: PlaybookView, 404: ErrorBody, 503: ErrorBody } },
    },
    async (request, reply) => {
      if (!options.response) return unavailable(reply, 'response service');
      const playbook = options.response.playbooks().find((p) => p.id === request.params.id);
      if (!playbook) return playbookNotFound(reply, request.params.id);
      return toPlaybookView(playbook);
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof RunPlaybookBody> }>(
    '/api/v1/playbooks/:id/run',
    {
      config: { roles: RESPONSE_ROLES.act },
      onRequest: requireRole(...RESPONSE_ROLES.act),
      schema: {
        summary: 'Run a playbook for an alert or an incident (202: queued, or waiting for approval)',
        tags: TAGS,
        params: IdParams,
        body: RunPlaybookBody,
        response: { 202: RunView, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { response, cases } = options;
      if (!response) return unavailable(reply, 'response service');
      if (!cases) return unavailable(reply, 'case store');
      const id = request.params.id;
      const playbook = response.playbooks().find((p) => p.id === id);
      if (!playbook) return playbookNotFound(reply, id);
      if (!playbook.enabled) return playbookNotFound(reply, id, 'it is disabled');
      const principal = request.principal as Principal;
      const user = await actingUser(principal, cases);
      const { alertId, incidentId } = request.body;
      const subject = alertId !== undefined ? { alertId } : { incidentId: incidentId as string };
      let run;
      try {
        run = await response.requestRun(id, subject, user);
      } catch (error) {
        // The playbook may have been unloaded between the check above and the request.
        if (error instanceof WatchpostError && error.code === 'WATCHPOST_ERR_PLAYBOOK_NOT_FOUND') return playbookNotFound(reply, id, error.message);
        throw error;
      }
      return reply.code(202).header('location', `/api/v1/runs/${encodeURIComponent(run.id)}`).send(toRunView(run));
    },
  );
}
