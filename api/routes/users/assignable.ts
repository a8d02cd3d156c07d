import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Role, User } from '../../../core/cases/types.js';
import { and, type FilterNode } from '../../../core/query/filter.js';
import type { CaseStore } from '../../../core/stores/case-store.js';
import { requireRole } from '../../plugins/require-role.js';

/** The roles that may triage, and so may be given an alert or an incident. */
export const ASSIGNABLE_ROLES = ['analyst', 'responder', 'approver', 'admin'] as const satisfies readonly Role[];

/** The largest list of assignable users one request returns. */
export const MAX_ASSIGNABLE = 200;

/** An assignable user: the fields a picker shows, nothing more (no e-mail, roles or sign-in data). */
export const AssignableUser = Type.Object(
  { id: Type.String(), username: Type.String(), displayName: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type AssignableUser = Static<typeof AssignableUser>;

/** The answer of GET /api/v1/users/assignable. */
export const AssignableUsers = Type.Object(
  {
    items: Type.Array(AssignableUser),
    truncated: Type.Boolean({ description: 'More users match than `limit`: narrow the list with `prefix`.' }),
  },
  { additionalProperties: false },
);

/** The query of GET /api/v1/users/assignable. */
export const AssignableQuery = Type.Object(
  {
    prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Users whose id starts with this (case-insensitive).' })),
    limit: Type.Integer({ minimum: 1, maximum: MAX_ASSIGNABLE, default: MAX_ASSIGNABLE }),
  },
  { additionalProperties: false },
);

const TRIAGERS = ['analyst'] as const satisfies readonly Role[];

/** Only what a picker shows: an analyst learns who can take the work, not how to reach or attack them. */
export function toAssignable(user: User): AssignableUser {
  return { id: user.id, username: user.username, ...(user.displayName !== undefined ? { displayName: user.displayName } : {}) };
}

/**
 * GET /api/v1/users/assignable, for analysts and up: the enabled users who can triage (analyst,
 * responder, approver, admin), sorted by id, for the console's assignee picker. Listing users in
 * full stays admin-only; this answer carries ids and names only.
 */
export function assignableUsersRoute(app: FastifyInstance, cases: CaseStore | undefined): void {
  app.get<{ Querystring: Static<typeof AssignableQuery> }>(
    '/api/v1/users/assignable',
    {
      config: { roles: TRIAGERS },
      onRequest: requireRole(...TRIAGERS),
      schema: {
        summary: 'List the users an alert or incident can be assigned to',
        tags: ['users'],
        querystring: AssignableQuery,
        response: { 200: AssignableUsers },
      },
    },
    async (request, reply) => {
      const store = cases;
      if (!store) return reply.code(503).send({ error: 'unavailable', message: 'this process has no case store' });
      const { prefix, limit } = request.query;
      const filters: FilterNode[] = [
        { op: 'eq', field: 'disabled', value: false },
        { op: 'or', children: ASSIGNABLE_ROLES.map((role): FilterNode => ({ op: 'eq', field: 'roles', value: role, caseSensitive: true })) },
      ];
      if (prefix !== undefined) filters.push({ op: 'startswith', field: 'id', value: prefix.toLowerCase() });
      const page = await store.users.list({ filter: and(...filters), sort: 'id', order: 'asc', limit });
      return { items: page.items.map(toAssignable), truncated: page.nextCursor !== undefined };
    },
  );
}
