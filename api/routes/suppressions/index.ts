import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Role, Suppression } from '../../../core/cases/types.js';
import { SYSTEM_CLOCK, type Clock } from '../../../core/clock.js';
import { UserError } from '../../../core/errors.js';
import { and, type FilterNode } from '../../../core/query/filter.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { modify } from '../../../core/stores/modify.js';
import { SUPPRESSION_LIMITS, inForceFilter, type AlertingService } from '../../../engine/alerting/index.js';
import type { Principal } from '../../plugins/auth-guard.js';
import { requireRole } from '../../plugins/require-role.js';
import { recordAudit } from '../audit/record.js';
import { principalUserId } from '../users/principal.js';

/** Options of {@link suppressionsRoutes}. */
export interface SuppressionsRouteOptions {
  /** Absent when this process has no case store: every route then answers 503. */
  readonly cases?: CaseStore | undefined;
  /** Validates and creates suppressions; without it creation answers 503. */
  readonly alerting?: AlertingService | undefined;
  /** @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

/**
 * Suppressions not yet expired (in force or scheduled) at once. The engine reads at most 1000 in
 * force per batch; past that some would silently stop applying, so creation is refused first.
 */
export const MAX_LIVE_SUPPRESSIONS = 500;

/** The furthest expiry a suppression may have: a year. Longer belongs in the rule (a filter or an exception). */
export const MAX_SUPPRESSION_MS = 365 * 86_400_000;

/** The largest page of suppressions. */
export const MAX_SUPPRESSIONS_PAGE = 200;

const VIEWERS = ['viewer'] as const satisfies readonly Role[];
const TRIAGERS = ['analyst'] as const satisfies readonly Role[];
const TAGS = ['suppressions'];

/**
 * Field names as `propertyNames`, not as a keyed record: Fastify's validator drops properties an
 * object does not allow instead of refusing them, and a dropped pair would make the suppression
 * broader than asked. A bad name must be an error.
 */
const FIELD_NAMES = { minLength: 1, maxLength: SUPPRESSION_LIMITS.fieldLength, pattern: '^[@A-Za-z0-9_-]+(\\.[@A-Za-z0-9_-]+)*$' };

/** A suppression as the API shows it, with its state now. */
export const SuppressionView = Type.Object(
  {
    id: Type.String(),
    rule: Type.Optional(Type.String()),
    fields: Type.Record(Type.String(), Type.String()),
    startsAt: Type.String(),
    expiresAt: Type.String(),
    author: Type.String(),
    reason: Type.String(),
    suppressedCount: Type.Integer(),
    lastSuppressedAt: Type.Optional(Type.String()),
    state: Type.Union([Type.Literal('in_force'), Type.Literal('scheduled'), Type.Literal('expired')]),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);
export type SuppressionView = Static<typeof SuppressionView>;

/** The body of POST /api/v1/suppressions. */
export const CreateSuppressionBody = Type.Object(
  {
    fields: Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: SUPPRESSION_LIMITS.valueLength }), {
      propertyNames: FIELD_NAMES,
      minProperties: 1,
      maxProperties: SUPPRESSION_LIMITS.fields,
      description: 'Entity field = value pairs, all required, compared exactly: { "source.ip": "192.0.2.10" }.',
    }),
    rule: Type.Optional(Type.String({ minLength: 1, maxLength: SUPPRESSION_LIMITS.ruleLength, description: 'The rule key, id or name; absent: every rule.' })),
    startsAt: Type.Optional(Type.String({ minLength: 10, maxLength: 40, description: 'ISO-8601; default now.' })),
    expiresAt: Type.String({ minLength: 10, maxLength: 40, description: 'ISO-8601, after startsAt and at most a year ahead.' }),
    reason: Type.String({ minLength: 1, maxLength: SUPPRESSION_LIMITS.reasonLength }),
  },
  { additionalProperties: false },
);

/** The query of GET /api/v1/suppressions. */
export const SuppressionsQuery = Type.Object(
  {
    state: Type.Union([Type.Literal('in_force'), Type.Literal('scheduled'), Type.Literal('expired'), Type.Literal('all')], { default: 'all' }),
    rule: Type.Optional(Type.String({ minLength: 1, maxLength: SUPPRESSION_LIMITS.ruleLength })),
    limit: Type.Integer({ minimum: 1, maximum: MAX_SUPPRESSIONS_PAGE, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);

const SuppressionPage = Type.Object({ items: Type.Array(SuppressionView), total: Type.Integer(), nextCursor: Type.Optional(Type.String()) });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** The suppression with its state at `nowIso`. */
export function toSuppressionView(suppression: Suppression, nowIso: string): SuppressionView {
  const { rev: _rev, ...record } = suppression as Suppression & { rev?: string };
  const state = suppression.expiresAt <= nowIso ? 'expired' : suppression.startsAt > nowIso ? 'scheduled' : 'in_force';
  return { ...record, fields: { ...record.fields }, state };
}

function stateFilter(state: Static<typeof SuppressionsQuery>['state'], nowIso: string): FilterNode | undefined {
  switch (state) {
    case 'in_force':
      return inForceFilter(nowIso);
    case 'scheduled':
      return { op: 'range', field: 'startsAt', gt: nowIso };
    case 'expired':
      return { op: 'range', field: 'expiresAt', lte: nowIso };
    case 'all':
      return undefined;
  }
}

function unavailable(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(503).send({ error: 'unavailable', message: `this process has no ${what}` });
}

/**
 * Suppressions under /api/v1/suppressions: viewers list (in force, scheduled, expired) and read
 * them; analysts create them (the author is the user the request acts for; the engine validates
 * fields, lengths and times, this route adds the horizon and the cap on live suppressions) and
 * delete them, which expires them now: the record and its count stay listed as `expired`.
 * Creation and expiry are audited.
 */
export async function suppressionsRoutes(app: FastifyInstance, options: SuppressionsRouteOptions): Promise<void> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const nowIso = (): string => new Date(clock.now()).toISOString();

  app.get<{ Querystring: Static<typeof SuppressionsQuery> }>(
    '/api/v1/suppressions',
    {
      config: { roles: VIEWERS },
      onRequest: requireRole(...VIEWERS),
      schema: { summary: 'List suppressions', tags: TAGS, querystring: SuppressionsQuery, response: { 200: SuppressionPage } },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const { state, rule, limit, cursor } = request.query;
      const now = nowIso();
      const filters: FilterNode[] = [];
      const byState = stateFilter(state, now);
      if (byState) filters.push(byState);
      if (rule !== undefined) filters.push({ op: 'eq', field: 'rule', value: rule, caseSensitive: true });
      const page = await cases.suppressions.list({
        ...(filters.length > 0 ? { filter: and(...filters) } : {}),
        sort: 'createdAt',
        order: 'desc',
        limit,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      return { items: page.items.map((s) => toSuppressionView(s, now)), total: page.total, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/suppressions/:id',
    {
      config: { roles: VIEWERS },
      onRequest: requireRole(...VIEWERS),
      schema: { summary: 'Get a suppression', tags: TAGS, params: IdParams, response: { 200: SuppressionView } },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const suppression = await cases.suppressions.get(request.params.id);
      if (!suppression) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no suppression ${request.params.id}`);
      return toSuppressionView(suppression, nowIso());
    },
  );

  app.post<{ Body: Static<typeof CreateSuppressionBody> }>(
    '/api/v1/suppressions',
    {
      config: { roles: TRIAGERS },
      onRequest: requireRole(...TRIAGERS),
      schema: { summary: 'Create a suppression', tags: TAGS, body: CreateSuppressionBody, response: { 201: SuppressionView } },
    },
    async (request, reply) => {
      const cases = options.cases;
      const alerting = options.alerting;
      if (!cases || !alerting) return unavailable(reply, 'alerting service');
      const body = request.body;
      const now = clock.now();
      const expiresAt = Date.parse(body.expiresAt);
      if (Number.isFinite(expiresAt) && expiresAt > now + MAX_SUPPRESSION_MS) {
        throw new UserError('WATCHPOST_ERR_CASE_INVALID', 'a suppression expires within a year; a permanent exception belongs in the rule', {
          problems: [{ path: 'expiresAt', message: 'at most a year ahead' }],
        });
      }
      const live = await cases.suppressions.list({ filter: { op: 'range', field: 'expiresAt', gt: new Date(now).toISOString() }, limit: 0 });
      if (live.total >= MAX_LIVE_SUPPRESSIONS) {
        throw new UserError('WATCHPOST_ERR_CASE_INVALID', `${live.total} suppressions are in force or scheduled (at most ${MAX_LIVE_SUPPRESSIONS}); expire some first`);
      }
      const principal = request.principal as Principal;
      const author = (await principalUserId(principal, cases)) ?? principal.id;
      const created = await alerting.suppressions.create(
        {
          fields: body.fields,
          reason: body.reason,
          expiresAt: body.expiresAt,
          ...(body.rule !== undefined ? { rule: body.rule } : {}),
          ...(body.startsAt !== undefined ? { startsAt: body.startsAt } : {}),
        },
        author,
      );
      const view = toSuppressionView(created, new Date(now).toISOString());
      await recordAudit(cases, { actor: principal.id, action: 'suppression.create', target: { type: 'suppression', id: created.id }, after: view, at: now });
      return reply.code(201).send(view);
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/v1/suppressions/:id',
    {
      config: { roles: TRIAGERS },
      onRequest: requireRole(...TRIAGERS),
      schema: {
        summary: 'Expire a suppression now (it stays listed, with its count, as expired)',
        tags: TAGS,
        params: IdParams,
        response: { 200: SuppressionView },
      },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return unavailable(reply, 'case store');
      const id = request.params.id;
      const before = await cases.suppressions.get(id);
      if (!before) throw new UserError('WATCHPOST_ERR_STORE_NOT_FOUND', `no suppression ${id}`);
      const now = clock.now();
      const at = new Date(now).toISOString();
      if (before.expiresAt <= at) return toSuppressionView(before, at);
      const after = await modify(cases.suppressions, id, (current) => ({
        ...current,
        // A scheduled one never starts: its window becomes empty, ending now.
        startsAt: current.startsAt < at ? current.startsAt : at,
        expiresAt: at,
        updatedAt: at,
      }));
      const principal = request.principal as Principal;
      await recordAudit(cases, {
        actor: principal.id,
        action: 'suppression.expire',
        target: { type: 'suppression', id },
        before: toSuppressionView(before, at),
        after: toSuppressionView(after, at),
        at: now,
      });
      return toSuppressionView(after, at);
    },
  );
}
