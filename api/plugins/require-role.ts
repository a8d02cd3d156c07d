import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../../core/cases/types.js';
import type { Principal } from './auth-guard.js';

/** The human roles, least to most privileged: a higher one may do what a lower one may. */
const HUMAN_RANK: Readonly<Partial<Record<Role, number>>> = { viewer: 0, analyst: 1, responder: 2, approver: 3, admin: 4 };

/**
 * True when the principal may use a route open to `allowed`:
 * - `admin` may use every route;
 * - a human role satisfies any human role ranked at or below it (an analyst may do what a viewer may);
 * - `ingest` is outside the hierarchy: it satisfies only a route that lists `ingest`, and no
 *   human role below admin satisfies an `ingest` route, so agents and analysts stay apart.
 */
export function hasRole(principal: Principal | undefined, allowed: readonly Role[]): boolean {
  if (!principal) return false;
  for (const held of principal.roles) {
    if (held === 'admin') return true;
    if (allowed.includes(held)) return true;
    const rank = HUMAN_RANK[held];
    if (rank === undefined) continue;
    if (allowed.some((role) => (HUMAN_RANK[role] ?? Number.POSITIVE_INFINITY) <= rank)) return true;
  }
  return false;
}

/**
 * A route hook that answers 403 unless the authenticated principal has one of `roles` (see
 * {@link hasRole}). Use it as the route's `onRequest` hook so a forbidden request is refused
 * before its body is read (it also works as `preHandler`). The auth guard runs first, so a
 * request without a principal never gets here; if one does, it is answered 401.
 */
export function requireRole(...roles: Role[]): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  if (roles.length === 0) throw new TypeError('requireRole needs at least one role');
  const allowed: readonly Role[] = Object.freeze([...roles]);
  return async (request, reply) => {
    if (!request.principal) return reply.code(401).send({ error: 'unauthorized', message: 'authentication required' });
    if (!hasRole(request.principal, allowed)) {
      return reply.code(403).send({ error: 'forbidden', message: `requires one of the roles: ${allowed.join(', ')}` });
    }
    return undefined;
  };
}
