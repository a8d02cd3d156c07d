import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../../../core/cases/types.js';
import { and, type FilterNode } from '../../../core/query/filter.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { requireRole } from '../../plugins/require-role.js';

/** Options of {@link auditRoutes}. */
export interface AuditRouteOptions {
  /** Absent when this process has no case store: the route then answers 503. */
  readonly cases?: CaseStore | undefined;
}

/** The largest page of audit entries. */
export const MAX_AUDIT_PAGE = 500;

const Instant = (description: string) =>
  Type.String({ minLength: 10, maxLength: 40, pattern: '^\\d{4}-\\d{2}-\\d{2}', description: `${description} ISO-8601, compared as UTC text.` });

/** The query of GET /api/v1/audit. */
export const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'A user id, `token:<id>`, `system`, `cli` or `playbook:<id>`.' })),
    action: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9_.-]+$', description: 'Exact (`user.create`), or every action under a prefix ending in a dot (`user.`).' }),
    ),
    targetType: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    targetId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')])),
    from: Type.Optional(Instant('Entries at or after this instant.')),
    to: Type.Optional(Instant('Entries before this instant.')),
    order: Type.Union([Type.Literal('desc'), Type.Literal('asc')], { default: 'desc' }),
    limit: Type.Integer({ minimum: 1, maximum: MAX_AUDIT_PAGE, default: 100 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);

/** One audit entry; `details.before` and `details.after` hold the record around a change. */
export const AuditEntryView = Type.Object({
  id: Type.String(),
  at: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  target: Type.Optional(Type.Object({ type: Type.String(), id: Type.String() })),
  outcome: Type.Union([Type.Literal('success'), Type.Literal('failure')]),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

const AuditPage = Type.Object({ items: Type.Array(AuditEntryView), total: Type.Integer(), nextCursor: Type.Optional(Type.String()) });

/** Normalises an instant the way the events route reads one: no offset means UTC. */
function isoInstant(value: string): string | undefined {
  const text = value.replace(' ', 'T');
  const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

const ADMIN_ONLY = ['admin'] as const satisfies readonly Role[];

/**
 * GET /api/v1/audit: the audit log, newest first by default, for admins only, filtered by actor,
 * action (exact or by prefix), target, outcome and time range, paged by cursor. Read-only: the
 * log is append-only and only retention removes entries.
 */
export async function auditRoutes(app: FastifyInstance, options: AuditRouteOptions): Promise<void> {
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/api/v1/audit',
    {
      config: { roles: ADMIN_ONLY },
      onRequest: requireRole(...ADMIN_ONLY),
      schema: { summary: 'List audit log entries', tags: ['audit'], querystring: AuditQuery, response: { 200: AuditPage } },
    },
    async (request, reply) => {
      const cases = options.cases;
      if (!cases) return reply.code(503).send({ error: 'unavailable', message: 'this process has no case store' });
      const query = request.query;
      const filters: FilterNode[] = [];
      const exact = (field: string, value: string | undefined): void => {
        if (value !== undefined) filters.push({ op: 'eq', field, value, caseSensitive: true });
      };
      exact('actor', query.actor);
      exact('target.type', query.targetType);
      exact('target.id', query.targetId);
      exact('outcome', query.outcome);
      if (query.action !== undefined) {
        filters.push(
          query.action.endsWith('.')
            ? { op: 'startswith', field: 'action', value: query.action, caseSensitive: true }
            : { op: 'eq', field: 'action', value: query.action, caseSensitive: true },
        );
      }
      const from = query.from === undefined ? undefined : isoInstant(query.from);
      const to = query.to === undefined ? undefined : isoInstant(query.to);
      if ((query.from !== undefined && from === undefined) || (query.to !== undefined && to === undefined)) {
        return reply.code(400).send({ error: 'bad_request', message: 'cannot read from or to as an ISO-8601 date or date-time' });
      }
      if (from !== undefined && to !== undefined && from >= to) return reply.code(400).send({ error: 'bad_request', message: 'from must be before to' });
      if (from !== undefined || to !== undefined) {
        filters.push({ op: 'range', field: 'at', ...(from !== undefined ? { gte: from } : {}), ...(to !== undefined ? { lt: to } : {}) });
      }
      const page = await cases.audit.list({
        ...(filters.length > 0 ? { filter: and(...filters) } : {}),
        // Time-ordered ids break ties of `at` in the order the entries were made.
        sort: 'at',
        order: query.order,
        limit: query.limit,
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
      return { items: page.items, total: page.total, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
    },
  );
}
